#!/usr/bin/env python3
"""The shop's contract test: what it answers is what its own OpenAPI document says.

Starts the real shop binary (real sockets, a real SQLite file in a temporary folder), fetches
GET /api/schema/ from it, then sends good and bad requests to every operation and checks every
answer against the document's entry for that operation:

- the status is one the operation documents (nothing the shop returns is undocumented);
- the body validates (python3-jsonschema, Draft 2020-12, `$ref`s resolved inside the document)
  against the schema documented for that status and the response's media type, and a response
  documented without content has none;
- every header the response documents as required is present, and every documented header
  present validates against its schema.

A second shop with tiny throttle rates gives each operation's 429. At the end, every operation
of the document must have been exercised with a success and an error of its own (the 429s reach
every operation by themselves): a route added without contract coverage fails here.

Usage: contract.py --shop PATH/TO/shop
Exit status 0 when every check passed, 1 otherwise (each failure is printed).
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

try:
    import jsonschema
except ImportError:  # cmake/dev.sh deps installs python3-jsonschema
    print("contract: python3-jsonschema is not installed (cmake/dev.sh deps installs it)")
    sys.exit(1)

SECRET = "contract-test-secret-0123456789abcdef"
DOC_URI = "urn:rampart-shop-openapi"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


# --- the shop process --------------------------------------------------------------------------

class Shop:
    """The shop binary as a child process on a free port, with its own database file."""

    def __init__(self, binary, folder, name, **settings):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHOP_")}
        env.update({
            "SHOP_LISTEN": "127.0.0.1:0",
            "SHOP_DB": os.path.join(folder, name + ".db"),
            "SHOP_JWT_SECRET": SECRET,
            "SHOP_PASSWORD_ITERATIONS": "1000",
            "SHOP_THREADS": "2",
            "SHOP_THROTTLE_ANON": "1000000/second",
            "SHOP_THROTTLE_USER": "1000000/second",
            "SHOP_THROTTLE_LOGIN": "1000000/second",
            "SHOP_SWAGGER_UI": fake_swagger_ui(folder),
        })
        env.update(settings)
        self.errors = open(os.path.join(folder, name + ".stderr"), "w+")
        # Unbuffered: select() sees every line, none waits in a reader's buffer.
        self.proc = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE,
                                     stderr=self.errors, cwd=folder, bufsize=0)
        deadline = time.monotonic() + 60
        seen = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 1)
            if not ready:
                if self.proc.poll() is not None:
                    break
                continue
            line = self.proc.stdout.readline()
            if not line:
                break
            seen += line
            m = re.match(rb"shop: listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                return
        self.stop()
        with open(self.errors.name) as errors:
            raise RuntimeError("the shop did not start: " + seen.decode() + errors.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.errors.close()


def fake_swagger_ui(folder):
    """A folder standing in for npm's swagger-ui-dist: the test needs no npm."""
    where = os.path.join(folder, "swagger-ui")
    os.makedirs(where, exist_ok=True)
    for name, text in (("swagger-ui.css", "body{}"), ("swagger-ui-bundle.js", "var x;")):
        with open(os.path.join(where, name), "w") as f:
            f.write(text)
    return where


class Reply:
    def __init__(self, method, target, status, headers, body):
        self.method, self.target = method, target
        self.status, self.headers, self.raw = status, headers, body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        return self.headers.get(name.lower())


def exchange(port, method, target, headers=None, body=b""):
    """One request on a new connection (raw bytes, so any target and header can be sent)."""
    if isinstance(body, str):
        body = body.encode()
    lines = [f"{method} {target} HTTP/1.1"]
    fields = {"Host": "127.0.0.1", "Connection": "close"}
    if body or method in ("POST", "PUT", "PATCH"):
        fields["Content-Length"] = str(len(body))
    fields.update(headers or {})
    for name, value in fields.items():
        for v in (value if isinstance(value, list) else [value]):
            lines.append(f"{name}: {v}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        try:
            sock.sendall(head + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the shop answered (413) before reading everything: its answer is read below
        res = http.client.HTTPResponse(sock, method=method)
        res.begin()
        data = res.read()
        got = {}
        for name, value in res.getheaders():
            got.setdefault(name.lower(), value)
        return Reply(method, target, res.status, got, data)
    finally:
        sock.close()


# --- tokens ------------------------------------------------------------------------------------

def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(claims):
    """An HS256 JWT signed with the shop's secret (an expired token, a refresh as access...)."""
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims).encode())
    signing = f"{header}.{payload}".encode()
    return f"{header}.{payload}." + b64(hmac.new(SECRET.encode(), signing, hashlib.sha256).digest())


def bearer(token):
    return {"Authorization": "Bearer " + token}


# --- the contract ------------------------------------------------------------------------------

def json_pointer(parts):
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


class Contract:
    """The document, and every answer checked against it."""

    def __init__(self, doc):
        self.doc = doc
        self.failures = []
        self.exercised = {}  # (path, method) -> statuses seen
        self.routes = []
        for path in doc["paths"]:
            pattern = "".join("[^/]+" if part.startswith("{") else re.escape(part)
                              for part in re.split(r"(\{[^}]+\})", path))
            self.routes.append((re.compile("^" + pattern + "$"), path))
        try:  # jsonschema >= 4.18
            from referencing import Registry
            from referencing.jsonschema import DRAFT202012
            registry = Registry().with_resource(DOC_URI, DRAFT202012.create_resource(doc))
            self._extra = {"registry": registry}
        except ImportError:
            self._extra = {"resolver": jsonschema.RefResolver(DOC_URI, doc)}

    def operations(self):
        return {(path, m) for path, item in self.doc["paths"].items() for m in item if m in METHODS}

    def resolve(self, node):
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/"), ref
            node = self.doc
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def validator(self, parts):
        ref = DOC_URI + "#" + urllib.parse.quote(json_pointer(parts), safe="/~")
        return jsonschema.Draft202012Validator(
            {"$ref": ref}, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
            **self._extra)

    def errors_of(self, instance, parts):
        """The messages of `instance` against the schema at `parts` of the document."""
        return [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
                for e in self.validator(parts).iter_errors(instance)]

    def fail(self, reply, why):
        self.failures.append(f"{reply.method} {reply.target} -> {reply.status}: {why}")

    def route_of(self, target):
        path = urllib.parse.urlsplit(target).path
        for pattern, template in self.routes:
            if pattern.match(path):
                return template
        return None

    def check(self, reply, expect=None):
        """Checks `reply` against the document; `expect` is the status the request must get."""
        if expect is not None and reply.status != expect:
            self.fail(reply, f"expected {expect}; body {reply.raw[:300]!r}")
        path = self.route_of(reply.target)
        if path is None:
            self.fail(reply, "no operation of the document has this path")
            return reply
        item = self.doc["paths"][path]
        method = reply.method.lower()
        if method in item:
            self.exercised.setdefault((path, method), set()).add(reply.status)
            candidates = [method]
        elif method == "head" and "get" in item:
            candidates = ["get"]  # the router answers HEAD as GET, without the body
        else:  # a method the path does not serve: every operation of the path documents 405
            candidates = [m for m in item if m in METHODS]
        for m in candidates:
            self.check_response(reply, path, m)
        return reply

    def check_response(self, reply, path, method):
        where = ["paths", path, method, "responses"]
        responses = self.doc["paths"][path][method]["responses"]
        status = str(reply.status)
        if status not in responses:
            self.fail(reply, f"status {status} is not documented for {method.upper()} {path}")
            return
        documented = self.resolve(responses[status])
        for name, header in documented.get("headers", {}).items():
            header = self.resolve(header)
            value = reply.header(name)
            if value is None:
                if header.get("required"):
                    self.fail(reply, f"required header {name} is missing")
                continue
            schema = header.get("schema", {})
            instance = value
            if schema.get("type") == "integer":
                instance = int(value) if re.fullmatch(r"-?\d+", value) else value
            for e in jsonschema.Draft202012Validator(schema).iter_errors(instance):
                self.fail(reply, f"header {name}: {value!r}: {e.message}")
        content = documented.get("content")
        if reply.method == "HEAD":
            return  # GET's status and headers, no body to check
        if not content:
            if reply.raw:
                self.fail(reply, "a body where the document says none")
            return
        media = (reply.header("Content-Type") or "").split(";")[0].strip().lower()
        if media not in content:
            self.fail(reply, f"media type {media!r}; the document has {sorted(content)}")
            return
        if reply.json is None:
            self.fail(reply, f"the body is not JSON: {reply.raw[:200]!r}")
            return
        problems = self.errors_of(reply.json, where + [status, "content", media, "schema"])
        for p in problems:
            self.fail(reply, f"body against the documented schema: {p}")

    def parameter_errors(self, path, method, name, text):
        """The messages of query value `text` against the documented parameter `name`."""
        params = self.doc["paths"][path][method].get("parameters", [])
        for i, param in enumerate(self.resolve(p) for p in params):
            if param["name"] == name and param["in"] == "query":
                value = int(text) if re.fullmatch(r"-?\d+", text) else text
                return self.errors_of(value, ["paths", path, method, "parameters", i, "schema"])
        return [f"{method.upper()} {path} documents no query parameter {name}"]

    def body_schema(self, path, method):
        return ["paths", path, method, "requestBody", "content", "application/json", "schema"]

    def response_schema(self, path, method, status):
        return ["paths", path, method, "responses", str(status), "content", "application/json",
                "schema"]

    def require(self, condition, why):
        if not condition:
            self.failures.append(why)


# --- the requests ------------------------------------------------------------------------------

VERSIONS = ("v1", "v2")
ORDER = {"product_id": 3, "quantity": 2, "shipping_address": "1 Main St, Springfield"}


def run_main(shop, c):
    """Every operation: success and each error it can be made to give, on a generous shop."""
    port = shop.port

    def send(method, target, expect, headers=None, body=b"", token=None):
        h = dict(headers or {})
        if token:
            h.update(bearer(token))
        return c.check(exchange(port, method, target, h, body), expect)

    def post_json(target, value, expect, token=None, content_type="application/json"):
        body = value if isinstance(value, (str, bytes)) else json.dumps(value)
        headers = {"Content-Type": content_type} if content_type else {}
        return send("POST", target, expect, headers, body, token)

    # Tokens: obtain, refresh, verify, blacklist, good and bad.
    login = post_json("/api/token/", {"username": "alice", "password": "alice-pass-1234"}, 200)
    access, refresh = login.json["access"], login.json["refresh"]
    bob = post_json("/api/token/", {"username": "bob", "password": "bob-pass-1234"}, 200)
    bob_access = bob.json["access"]
    for body in ({}, {"username": "alice"}, {"username": "", "password": "x"},
                 {"username": "alice", "password": 5}):
        post_json("/api/token/", body, 400)
    post_json("/api/token/", {"username": "alice", "password": "wrong-password"}, 401)
    post_json("/api/token/", {"username": "nobody", "password": "wrong-password"}, 401)
    post_json("/api/token/", "{not json", 400)
    post_json("/api/token/", "[1, 2]", 400)
    post_json("/api/token/", {"username": "alice", "password": "x"}, 415, content_type="text/plain")
    post_json("/api/token/", {"username": "alice", "password": "x"}, 415, content_type="")
    post_json("/api/token/", " " * (64 * 1024 + 1), 413)
    send("GET", "/api/token/", 405)

    first_refresh = refresh
    rotated = post_json("/api/token/refresh/", {"refresh": refresh}, 200)
    c.require(rotated.json["refresh"] != refresh, "refresh rotates the refresh token")
    post_json("/api/token/refresh/", {}, 400)
    post_json("/api/token/refresh/", {"refresh": ""}, 400)
    post_json("/api/token/refresh/", {"refresh": "garbage"}, 401)
    post_json("/api/token/refresh/", {"refresh": access}, 401)  # not a refresh token
    post_json("/api/token/refresh/", {"refresh": refresh}, 401)  # rotated away: reuse
    post_json("/api/token/refresh/", {"refresh": "x"}, 415, content_type="text/plain")
    send("PUT", "/api/token/refresh/", 405)

    # The reuse above revoked alice's family: a new login for the rest.
    login = post_json("/api/token/", {"username": "alice", "password": "alice-pass-1234"}, 200)
    access, refresh = login.json["access"], login.json["refresh"]
    now = int(time.time())
    expired = forge({"token_type": "access", "exp": now - 60, "iat": now - 120,
                     "jti": "0123456789abcdef", "user_id": 1})
    nobody = forge({"token_type": "access", "exp": now + 600, "iat": now,
                    "jti": "0123456789abcdee", "user_id": 999})
    post_json("/api/token/verify/", {"token": access}, 200)
    post_json("/api/token/verify/", {"token": refresh}, 200)
    post_json("/api/token/verify/", {}, 400)
    post_json("/api/token/verify/", {"token": "garbage"}, 401)
    post_json("/api/token/verify/", {"token": expired}, 401)
    post_json("/api/token/verify/", "{}", 415, content_type="application/xml")
    send("DELETE", "/api/token/verify/", 405)

    throwaway = post_json("/api/token/", {"username": "bob", "password": "bob-pass-1234"}, 200)
    post_json("/api/token/blacklist/", {"refresh": throwaway.json["refresh"]}, 200)
    post_json("/api/token/blacklist/", {}, 400)
    post_json("/api/token/blacklist/", {"refresh": "garbage"}, 401)
    post_json("/api/token/blacklist/", {"refresh": access}, 401)  # not a refresh token
    post_json("/api/token/blacklist/", {"refresh": first_refresh}, 401)  # used by a refresh
    post_json("/api/token/blacklist/", "{}", 415, content_type="text/plain")
    send("GET", "/api/token/blacklist/", 405)

    # Over the token service's own body limit (16 KiB), and over the server's (64 KiB).
    for endpoint in ("refresh/", "verify/", "blacklist/"):
        for size in (20 * 1024, 64 * 1024 + 1):
            post_json("/api/token/" + endpoint, json.dumps({"token": "a" * size}), 413)

    bad_tokens = ("garbage", expired, nobody, refresh)  # a refresh token is no access token
    for v in VERSIONS:
        products = f"/api/{v}/products/"
        orders = f"/api/{v}/orders/"

        # Products: pages forward and back, every page size, bad pages and cursors.
        seen, target = [], products
        while target:
            page = send("GET", target, 200)
            seen += [p["id"] for p in page.json["results"]]
            target = page.json["next"]
        c.require(seen == list(range(1, 61)), f"{v}: following next visits 1..60, got {seen}")
        back = send("GET", products + "?page_size=7", 200)
        forward = send("GET", urllib.parse.urlsplit(back.json["next"]).path + "?" +
                       urllib.parse.urlsplit(back.json["next"]).query, 200)
        c.require(forward.json["previous"] is not None, f"{v}: a second page has previous")
        prev = forward.json["previous"]
        send("GET", urllib.parse.urlsplit(prev).path + "?" + urllib.parse.urlsplit(prev).query,
             200)
        for size in ("1", "100"):
            send("GET", products + "?page_size=" + size, 200)
            c.require(c.parameter_errors(products, "get", "page_size", size) == [],
                      f"page_size={size} fits the documented parameter")
        for size in ("0", "101", "abc", "-1"):
            send("GET", products + "?page_size=" + size, 400)
            c.require(c.parameter_errors(products, "get", "page_size", size) != [],
                      f"the documented parameter refuses page_size={size} as the shop does")
        cursor = urllib.parse.parse_qs(urllib.parse.urlsplit(back.json["next"]).query)["cursor"][0]
        for bad in ("made-up", cursor[:-3], cursor[::-1]):
            send("GET", products + "?cursor=" + urllib.parse.quote(bad), 400)
        send("GET", products, 200, token=access)
        for t in bad_tokens:
            send("GET", products, 401, token=t)
        send("POST", products, 405, {"Content-Type": "application/json"}, "{}")
        send("DELETE", products, 405)

        for pid in (1, 7, 8, 60):
            send("GET", f"{products}{pid}/", 200)
        send("HEAD", f"{products}1/", 200)
        send("HEAD", f"{products}9999/", 404)
        send("HEAD", products + "?page_size=0", 400)
        send("GET", f"{products}9999/", 404)
        send("GET", f"{products}abc/", 404)
        send("GET", f"{products}1/", 401, token="garbage")
        send("DELETE", f"{products}1/", 405)
        send("PUT", f"{products}1/", 405, {"Content-Type": "application/json"}, "{}")

        # Orders: only with a token; 201 with Location, every kind of bad body.
        send("GET", orders, 200, token=access)
        for t in bad_tokens:
            send("GET", orders, 401, token=t)
        send("GET", orders, 401)
        created = post_json(orders, ORDER, 201, token=access)
        c.require(c.errors_of(ORDER, c.body_schema(orders, "post")) == [],
                  "a good order validates against the documented request body")
        location = created.header("Location") or ""
        own = urllib.parse.urlsplit(location).path
        c.require(re.fullmatch(rf"/api/{v}/orders/\d+/", own) is not None,
                  f"{v}: Location names the new order: {location!r}")
        post_json(orders, dict(ORDER, quantity=1, extra="ignored"), 201, token=access)
        bad_bodies = [
            dict(ORDER, quantity=0), dict(ORDER, quantity=101), dict(ORDER, quantity="2"),
            dict(ORDER, quantity=2.5), dict(ORDER, quantity=True), dict(ORDER, quantity=None),
            {"product_id": 3, "quantity": 1}, {}, dict(ORDER, shipping_address=""),
            dict(ORDER, shipping_address="a" * 501), dict(ORDER, product_id="3"),
        ]
        for body in bad_bodies:
            post_json(orders, body, 400, token=access)
            c.require(c.errors_of(body, c.body_schema(orders, "post")) != [],
                      f"the documented request body refuses {body!r} as the shop does")
        post_json(orders, dict(ORDER, product_id=9999), 400, token=access)
        post_json(orders, dict(ORDER, product_id=8, quantity=1), 400, token=access)  # stock 0
        post_json(orders, "{not json", 400, token=access)
        post_json(orders, "[1]", 400, token=access)
        post_json(orders, ORDER, 401)
        post_json(orders, ORDER, 401, token="garbage")
        post_json(orders, ORDER, 415, token=access, content_type="text/plain")
        post_json(orders, ORDER, 415, token=access, content_type="")
        big = dict(ORDER, shipping_address="a" * (64 * 1024))
        post_json(orders, big, 413, token=access)
        send("PUT", orders, 405, {"Content-Type": "application/json"}, "{}", token=access)
        send("DELETE", orders, 405, token=access)

        for _ in range(3):
            post_json(orders, dict(ORDER, quantity=1), 201, token=access)
        first = send("GET", orders + "?page_size=2", 200, token=access)
        nxt = urllib.parse.urlsplit(first.json["next"])
        second = send("GET", f"{nxt.path}?{nxt.query}", 200, token=access)
        prv = urllib.parse.urlsplit(second.json["previous"])
        send("GET", f"{prv.path}?{prv.query}", 200, token=access)
        send("GET", orders + "?page_size=0", 400, token=access)
        send("GET", orders + "?cursor=forged", 400, token=access)

        send("GET", own, 200, token=access)
        send("GET", own, 404, token=bob_access)  # another user's order
        send("GET", f"{orders}999999/", 404, token=access)
        send("GET", own, 401)
        send("GET", own, 401, token=expired)
        send("POST", own, 405, {"Content-Type": "application/json"}, "{}", token=access)

    # Refusals before the router, on any operation: a Host not allowed, two Authorization
    # headers; and a target in absolute form is routed as its path.
    send("GET", "/api/v1/products/", 400, {"Host": "evil.example"})
    send("GET", "/api/v2/products/1/", 400,
         {"Authorization": ["Bearer " + access, "Bearer " + access]})
    send("GET", f"http://127.0.0.1:{port}/api/v1/products/", 200)
    send("GET", f"http://127.0.0.1:{port}/api/v2/orders/", 200, token=access)

    # Negative controls: the schemas tell the versions and the statuses apart, so a pass above
    # means something.
    v1 = exchange(port, "GET", "/api/v1/products/1/")
    v2 = exchange(port, "GET", "/api/v2/products/1/")
    c.require(c.errors_of(v2.json, c.response_schema("/api/v1/products/{id}/", "get", 200)) != [],
              "a v2 product does not pass as v1")
    c.require(c.errors_of(v1.json, c.response_schema("/api/v2/products/{id}/", "get", 200)) != [],
              "a v1 product does not pass as v2")
    missing = exchange(port, "GET", "/api/v1/products/9999/")
    c.require(c.errors_of(missing.json,
                          c.response_schema("/api/v1/products/{id}/", "get", 401)) != [],
              "a 404 envelope does not pass as a 401")

    # Outside the document: an unknown version or path is a 404 envelope.
    for target in ("/api/v3/products/", "/api/v0/products/", "/api/v1/products", "/nowhere/"):
        r = exchange(port, "GET", target)
        c.require(r.status == 404 and r.json and
                  c.errors_of(r.json, ["components", "schemas", "Error"]) == [],
                  f"GET {target}: a 404 in the envelope, got {r.status} {r.raw[:200]!r}")


def run_throttled(shop, c):
    """Each operation's 429, from a shop whose rates run out after a few requests."""
    port = shop.port

    def until_429(method, target, headers=None, body=b""):
        for _ in range(10):
            r = c.check(exchange(port, method, target, headers, body))
            if r.status == 429:
                return r
        c.failures.append(f"{method} {target}: never 429 on a 3/hour rate")
        return None

    login = c.check(exchange(port, "POST", "/api/token/", {"Content-Type": "application/json"},
                             json.dumps({"username": "alice", "password": "alice-pass-1234"})),
                    200)
    access = login.json["access"]
    # The login rate (1/hour) is spent; then the user's, then the client IP's.
    until_429("POST", "/api/token/", {"Content-Type": "application/json"},
              json.dumps({"username": "alice", "password": "alice-pass-1234"}))
    until_429("GET", "/api/v1/orders/", bearer(access))
    until_429("GET", "/api/v1/products/")
    order_headers = dict(bearer(access), **{"Content-Type": "application/json"})
    for path, item in c.doc["paths"].items():
        for method in item:
            if method not in METHODS:
                continue
            target = path.replace("{id}", "1")
            authenticated = "orders" in path
            headers = order_headers if authenticated else {"Content-Type": "application/json"}
            body = json.dumps(ORDER) if method == "post" else b""
            r = c.check(exchange(port, method.upper(), target, headers, body), 429)
            c.require(r.header("Retry-After") is not None and r.header("RateLimit") is not None,
                      f"{method.upper()} {target}: a 429 carries Retry-After and RateLimit")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shop", required=True, help="the shop binary")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shop-contract-") as folder:
        shop = Shop(args.shop, folder, "main")
        try:
            schema = exchange(shop.port, "GET", "/api/schema/")
            if schema.status != 200 or not schema.json:
                print(f"contract: GET /api/schema/ answered {schema.status}")
                return 1
            c = Contract(schema.json)
            run_main(shop, c)
        finally:
            shop.stop()
        throttled = Shop(args.shop, folder, "throttled", SHOP_THROTTLE_ANON="3/hour",
                         SHOP_THROTTLE_USER="2/hour", SHOP_THROTTLE_LOGIN="1/hour")
        try:
            run_throttled(throttled, c)
        finally:
            throttled.stop()

    # Each operation's own coverage: a success and a refusal besides the blanket 429s, which
    # reach every operation of the document by themselves.
    for (path, method) in sorted(c.operations()):
        seen = c.exercised.get((path, method), set())
        print(f"contract: {method.upper():6} {path:28} {sorted(seen)}")
        if not any(200 <= s < 300 for s in seen) or not seen - {429} - set(range(200, 300)):
            c.failures.append(f"{method.upper()} {path}: documented but not exercised (a "
                              f"success and an error other than 429 are needed)")
    for f in c.failures:
        print("contract: FAIL " + f)
    print(f"contract: {len(c.failures)} failure(s), {len(c.operations())} operations")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
