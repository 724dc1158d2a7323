#!/usr/bin/python3
"""Writes pyjwt_tokens.json: tokens signed by PyJWT, for rampart's verifier to accept.

Run with Debian's python3-jwt (PyJWT 2.6) and python3-cryptography:

    /usr/bin/python3 tests/jwt/data/make_fixtures.py > tests/jwt/data/pyjwt_tokens.json

Each case carries the algorithm, the verification key (an HMAC secret, or a public key as PEM
and as the JWK PyJWT exports), the token, and the claims PyJWT signed. The claims follow
djangorestframework-simplejwt's access/refresh tokens (token_type, exp, iat, jti, user_id);
exp is in the year 2100 and iat is 1700000000, so the tests verify them with a fixed clock.
"""
import json
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

IAT = 1700000000
EXP = 4102444800  # 2100-01-01T00:00:00Z


def simplejwt_claims(token_type, user_id, lifetime):
    # simplejwt's payload order: token_type, exp, iat, jti, user_id.
    return {"token_type": token_type, "exp": min(EXP, IAT + lifetime) if lifetime else EXP,
            "iat": IAT, "jti": uuid.uuid4().hex, "user_id": user_id}


def public_pem(private_key):
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


cases = []


def add(name, alg, key, verify_key, claims, headers=None, jwk=None, options=None):
    token = jwt.encode(claims, key, algorithm=alg, headers=headers)
    case = {"name": name, "alg": alg, "token": token, "claims": claims}
    if isinstance(verify_key, str) and not verify_key.startswith("-----"):
        case["secret"] = verify_key
    else:
        case["pem"] = verify_key
    if jwk is not None:
        case["jwk"] = json.loads(jwk)
    if headers and "kid" in headers:
        case["kid"] = headers["kid"]
    if options:
        case["options"] = options
    cases.append(case)


django_secret = "django-insecure-9m$c2x!w@pq#1n0v^r8k&z5t*y7u(e)l4b6s3h_a=f+g"
add("simplejwt access (HS256)", "HS256", django_secret, django_secret,
    simplejwt_claims("access", 1, 0))
add("simplejwt refresh (HS256)", "HS256", django_secret, django_secret,
    simplejwt_claims("refresh", 2, 0))
add("string user id (HS256)", "HS256", django_secret, django_secret,
    simplejwt_claims("access", "a7c1e4b2", 0))
add("HS384", "HS384", "s" * 48, "s" * 48, simplejwt_claims("access", 3, 0))
add("HS512", "HS512", "t" * 64, "t" * 64, simplejwt_claims("access", 4, 0))

rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]:
    add(alg, alg, rsa_key, public_pem(rsa_key), simplejwt_claims("access", 5, 0),
        jwk=RSAAlgorithm.to_jwk(rsa_key.public_key()))

for alg, curve in [("ES256", ec.SECP256R1()), ("ES384", ec.SECP384R1()),
                   ("ES512", ec.SECP521R1())]:
    key = ec.generate_private_key(curve)
    add(alg, alg, key, public_pem(key), simplejwt_claims("access", 6, 0),
        jwk=ECAlgorithm.to_jwk(key.public_key()))

ed_key = ed25519.Ed25519PrivateKey.generate()
add("EdDSA", "EdDSA", ed_key, public_pem(ed_key), simplejwt_claims("access", 7, 0),
    jwk=OKPAlgorithm.to_jwk(ed_key.public_key()))

claims = simplejwt_claims("access", 8, 0)
claims.update({"iss": "https://auth.example", "aud": ["api", "admin"], "nbf": IAT,
               "scope": "read write", "nested": {"roles": ["a", "b"], "n": 1.5}})
add("kid, iss, aud array, nbf, nested claims (RS256)", "RS256", rsa_key, public_pem(rsa_key),
    claims, headers={"kid": "rsa-2023"}, jwk=RSAAlgorithm.to_jwk(rsa_key.public_key()),
    options={"issuer": "https://auth.example", "audience": "admin"})

print(json.dumps({"generator": "PyJWT " + jwt.__version__, "cases": cases}, indent=1))
