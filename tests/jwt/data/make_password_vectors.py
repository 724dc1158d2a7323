#!/usr/bin/env python3
"""Prints the PBKDF2-SHA256 vectors in tests/jwt/password.cpp, in Django's encoded format.

Django's PBKDF2PasswordHasher.encode(password, salt, iterations) is exactly
"pbkdf2_sha256$%d$%s$%s" % (iterations, salt, base64.b64encode(pbkdf2_hmac("sha256",
password.encode(), salt.encode(), iterations)).decode()), so hashlib reproduces it without
Django installed. Run: python3 tests/jwt/data/make_password_vectors.py
"""
import base64
import hashlib

CASES = [
    ("correct horse battery staple", "Zq3mT0aYbW9xLr2PkE7sNd", 1),
    ("", "emptypasswordsalt00000", 2),
    ("pässwörd ✓ 密码", "unicodeSaltAbCdEfGh123", 1000),
    ("x" * 200, "longPasswordSalt000000", 1000),
    ("alice-pass-1234", "shopDemoSaltForAlice01", 4096),
    ("bob-pass-1234", "short", 600000),
]

for password, salt, iterations in CASES:
    key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    encoded = "pbkdf2_sha256$%d$%s$%s" % (iterations, salt, base64.b64encode(key).decode())
    print('    {"%s", "%s"},' % (password.replace("\\", "\\\\").replace('"', '\\"'), encoded))
