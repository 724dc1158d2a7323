#!/usr/bin/env python3
"""The shop's Swagger UI page in a real browser.

Starts the real `shop` binary (free loopback port, its own SQLite file in a temporary folder,
seeded with the demo data) and headless Chromium, and drives Chromium over the Chrome DevTools
Protocol: opens /api/docs/, waits until Swagger UI has rendered the document, checks that every
operation of the document (both versions, orders, tokens) renders, then does "Try it out" ->
"Execute" on GET /api/v1/products/ and checks that the response section shows a 200 with the
products the database holds. Every request the page made must have been answered 200 (the page,
its CSS and JS, the document, the try-it-out call) and nothing may have been logged as an error
on the console. Both processes are stopped on every path.

    swagger_ui_test.py --shop BUILD/examples/shop/shop --swagger-ui DIR [--screenshot FILE.png]

DIR is npm's swagger-ui-dist (cmake/dev.sh installs it into build/npm). RAMPART_SCREENSHOT=FILE
works as --screenshot: a PNG of the page after the try-it-out (docs/images/swagger-ui.png).
Exit status: 0 passed, 1 failed, 77 skipped (chromium, python3-websocket or swagger-ui-dist
missing: `cmake/dev.sh deps` installs them).
"""

import argparse
import base64
import contextlib
import ctypes
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

SKIP = 77

# Bounds for a slow, shared CI machine (two cores): generous, never unbounded.
SHOP_START_S = 60
CHROMIUM_START_S = 60
RENDER_S = 120
STEP_S = 60
STOP_S = 20


class Failure(Exception):
    """What the test found wrong, said for a person reading the log."""


def log(message):
    print("swagger-ui test: " + message, flush=True)


def die_with_parent():
    """Runs in the child before exec: the kernel kills it when this script dies, even by SIGKILL
    (a ctest timeout), so neither the shop nor Chromium outlives the test."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_PDEATHSIG = 1
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def stop(proc, name):
    """SIGTERM, then SIGKILL after STOP_S; waits for the exit either way."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(STOP_S)
    except subprocess.TimeoutExpired:
        log(f"{name} did not stop within {STOP_S} s of SIGTERM: killed")
        proc.kill()
        proc.wait()


class LineReader:
    """Reads a pipe on a thread, so waiting for a line can time out."""

    def __init__(self, pipe):
        self.lines = queue.Queue()
        self.seen = []
        threading.Thread(target=self._run, args=(pipe,), daemon=True).start()

    def _run(self, pipe):
        for raw in pipe:
            self.lines.put(raw.decode(errors="replace").rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, prefix, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                return None
            self.seen.append(line)
            if line.startswith(prefix):
                return line


@contextlib.contextmanager
def running_shop(binary, swagger_ui):
    """The shop on 127.0.0.1:<free port>, its database in a temporary folder; yields its URL."""
    with tempfile.TemporaryDirectory(prefix="rampart-browser-shop-") as dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHOP_")}
        env.update({
            "SHOP_LISTEN": "127.0.0.1:0",
            "SHOP_DB": os.path.join(dir, "shop.db"),
            "SHOP_PASSWORD_ITERATIONS": "1000",
            "SHOP_THREADS": "2",
            "SHOP_THROTTLE_ANON": "1000000/second",
            "SHOP_THROTTLE_USER": "1000000/second",
            "SHOP_THROTTLE_LOGIN": "1000000/second",
            "SHOP_SWAGGER_UI": swagger_ui,
        })
        stderr_path = os.path.join(dir, "stderr.log")
        with open(stderr_path, "wb") as stderr:
            proc = subprocess.Popen([binary], env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=stderr,
                                    preexec_fn=die_with_parent)
        try:
            out = LineReader(proc.stdout)
            line = out.wait_for("shop: listening on http://", SHOP_START_S)
            if line is None:
                with open(stderr_path, errors="replace") as f:
                    errors = f.read()[-3000:]
                how = (f"exited with status {proc.returncode}" if proc.poll() is not None
                       else f"did not say it listens within {SHOP_START_S} s")
                raise Failure(f"the shop {how}; stdout: {out.seen}; stderr: {errors}")
            yield line[len("shop: listening on "):].split()[0].rstrip("/")
        finally:
            stop(proc, "the shop")


@contextlib.contextmanager
def running_chromium(binary):
    """Headless Chromium with a fresh profile; yields its DevTools HTTP endpoint."""
    # Its helpers may still be writing the profile while they exit: cleanup errors are no failure.
    with tempfile.TemporaryDirectory(prefix="rampart-browser-chromium-",
                                     ignore_cleanup_errors=True) as profile:
        # Port 0: Chromium picks a free port and writes it into DevToolsActivePort.
        args = [binary, "--headless=new", "--no-sandbox", "--remote-debugging-port=0",
                "--remote-debugging-address=127.0.0.1", f"--user-data-dir={profile}",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--mute-audio",
                "--hide-scrollbars", "--window-size=1280,900", "about:blank"]
        stderr = tempfile.TemporaryFile()
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=stderr, preexec_fn=die_with_parent)
        try:
            port_file = os.path.join(profile, "DevToolsActivePort")
            deadline = time.monotonic() + CHROMIUM_START_S
            port = None
            while port is None:
                if proc.poll() is not None:
                    raise Failure(f"chromium exited with status {proc.returncode} at start-up; "
                                  f"its stderr: {tail(stderr)}")
                if time.monotonic() > deadline:
                    raise Failure(f"chromium opened no DevTools port within {CHROMIUM_START_S} s;"
                                  f" its stderr: {tail(stderr)}")
                with contextlib.suppress(OSError, ValueError):
                    with open(port_file) as f:
                        port = int(f.readline())
                if port is None:
                    time.sleep(0.2)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(proc, "chromium")
            stderr.close()


def tail(file, n=3000):
    """The last `n` characters written to `file` (an open binary file)."""
    file.flush()
    file.seek(0)
    return file.read().decode(errors="replace")[-n:]


def http_json(url, timeout=30):
    """GET `url`; its JSON body (a Failure unless it answers 200 with JSON)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return json.load(r)
    except (OSError, ValueError) as e:  # URLError and HTTPError are OSErrors
        raise Failure(f"GET {url}: {e}")


class DevTools:
    """One page target over the Chrome DevTools Protocol: commands, and the events they cause."""

    def __init__(self, websocket_module, ws_url):
        # Chromium refuses a DevTools socket whose Origin header it was not told to allow.
        self.ws = websocket_module.create_connection(ws_url, timeout=STEP_S,
                                                     suppress_origin=True)
        self.next_id = 0
        self.events = []

    def close(self):
        with contextlib.suppress(Exception):
            self.ws.close()

    def call(self, method, **params):
        self.next_id += 1
        mine = self.next_id
        self.ws.send(json.dumps({"id": mine, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == mine:
                if "error" in message:
                    raise Failure(f"DevTools {method} failed: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise Failure(f"the page threw evaluating {expression[:80]!r}: "
                          f"{result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, what, timeout):
        """Polls `expression` until it is truthy; returns its value. An uncaught exception in
        the page ends the wait at once: nothing would render after it."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            for e in self.events:
                if e["method"] == "Runtime.exceptionThrown":
                    raise Failure(f"waiting for {what}, the page threw: "
                                  f"{exception_text(e['params'])}")
            if time.monotonic() > deadline:
                raise Failure(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.25)


def exception_text(params):
    """A Runtime.exceptionThrown event's exception, as the console would print it."""
    d = params.get("exceptionDetails", {})
    return str(d.get("exception", {}).get("description") or d.get("text"))


# The rendered operations, as [method, path] pairs (data-path holds the path as the document
# writes it; the visible text has <wbr>s in it).
OPERATIONS_JS = """
Array.from(document.querySelectorAll('#swagger-ui .opblock')).map(b => [
  (b.querySelector('.opblock-summary-method') || {}).textContent || '',
  (b.querySelector('[data-path]') || {getAttribute: () => ''}).getAttribute('data-path')])
"""


def block_js(method, path, then):
    """JS that finds the opblock of `method` `path` and evaluates `then` with it as `b`."""
    return f"""(() => {{
  const b = Array.from(document.querySelectorAll('#swagger-ui .opblock')).find(b =>
    (b.querySelector('.opblock-summary-method') || {{}}).textContent === {json.dumps(method)} &&
    (b.querySelector('[data-path]') || {{getAttribute: () => ''}}).getAttribute('data-path')
      === {json.dumps(path)});
  if (!b) return null;
  {then}
}})()"""


def run(args, websocket):
    with contextlib.ExitStack() as stack:
        base = stack.enter_context(running_shop(args.shop, args.swagger_ui))
        log(f"shop at {base}")
        document = http_json(base + "/api/schema/")
        documented = sorted((m.upper(), p) for p, item in document["paths"].items()
                            for m in item if m in ("get", "put", "post", "delete", "patch"))
        # What the database holds, asked the way any client would.
        products = http_json(base + "/api/v1/products/")["results"]
        if not products:
            raise Failure("the shop's demo data has no products")

        devtools_url = stack.enter_context(running_chromium(args.chromium))
        pages = [t for t in http_json(devtools_url + "/json/list") if t["type"] == "page"]
        if not pages:
            raise Failure("chromium has no page target")
        page = DevTools(websocket, pages[0]["webSocketDebuggerUrl"])
        stack.callback(page.close)
        for domain in ("Page", "Network", "Runtime", "Log"):
            page.call(domain + ".enable")
        page.call("Emulation.setDeviceMetricsOverride", width=1280, height=900,
                  deviceScaleFactor=1, mobile=False)

        url = base + "/api/docs/"
        log(f"opening {url}")
        nav = page.call("Page.navigate", url=url)
        if nav.get("errorText"):
            raise Failure(f"navigating to {url} failed: {nav['errorText']}")
        page.wait_for("document.querySelectorAll('#swagger-ui .opblock').length > 0 && "
                      "!!document.querySelector('#swagger-ui .info .title')",
                      "Swagger UI to render the document's operations "
                      "(are its assets served? is the document valid?)", RENDER_S)

        # Every operation of the document renders: both versions, orders, the token endpoints.
        with contextlib.suppress(Failure):  # a shortfall is reported below, operation by operation
            page.wait_for(f"document.querySelectorAll('#swagger-ui .opblock').length >= "
                          f"{len(documented)}", "every operation to render", STEP_S)
        rendered = sorted((m.upper(), p) for m, p in page.evaluate(OPERATIONS_JS))
        for must in [("GET", "/api/v1/products/"), ("GET", "/api/v2/products/"),
                     ("GET", "/api/v1/products/{id}/"), ("POST", "/api/v2/orders/"),
                     ("GET", "/api/v1/orders/{id}/"), ("POST", "/api/token/")]:
            if must not in documented:
                raise Failure(f"the document has no {must[0]} {must[1]}")
        missing = sorted(set(documented) - set(rendered))
        if missing or len(rendered) != len(documented):
            raise Failure(f"the page rendered {len(rendered)} operations, the document has "
                          f"{len(documented)}; not rendered: {missing}; rendered: {rendered}")
        log(f"all {len(rendered)} operations rendered")

        # Try it out -> Execute on GET /api/v1/products/.
        target = ("GET", "/api/v1/products/")
        opened = page.evaluate(block_js(*target, """
  if (!b.classList.contains('is-open'))
    (b.querySelector('.opblock-summary-control') || b.querySelector('.opblock-summary')).click();
  return true;"""))
        if not opened:
            raise Failure("no opblock for GET /api/v1/products/")
        page.wait_for(block_js(*target, """
  const t = b.querySelector('.try-out__btn');
  if (!t) return false;
  if (!t.classList.contains('cancel')) t.click();
  return true;"""), 'the "Try it out" button of GET /api/v1/products/', STEP_S)
        page.wait_for(block_js(*target, """
  const e = b.querySelector('button.execute');
  if (!e) return false;
  e.click();
  return true;"""), 'the "Execute" button of GET /api/v1/products/', STEP_S)
        shown = page.wait_for(block_js(*target, """
  const row = b.querySelector('.live-responses-table tbody tr.response');
  const url = b.querySelector('.request-url pre');
  if (!row) return null;
  const body = row.querySelector('.response-col_description pre');
  return {status: row.querySelector('.response-col_status').textContent.trim(),
          url: url ? url.textContent : '', body: body ? body.textContent : ''};"""),
            "the live response of GET /api/v1/products/", STEP_S)
        log(f"try it out: {shown['status']} from {shown['url']}")
        if shown["status"] != "200":
            raise Failure(f"try it out of GET /api/v1/products/ shows status {shown['status']!r}"
                          f" (body: {shown['body'][:500]!r})")
        # Swagger UI fills in page_size's documented default (25).
        if shown["url"].split("?")[0] != base + "/api/v1/products/":
            raise Failure(f"try it out called {shown['url']!r}, not {base}/api/v1/products/")
        products = http_json(shown["url"])["results"]
        try:
            body = json.loads(shown["body"])
        except ValueError:
            raise Failure(f"the response section shows no JSON body: {shown['body'][:500]!r}")
        if body.get("results") != products:
            raise Failure(f"the response section shows {body.get('results')!r}; the shop's "
                          f"database holds {products!r}")
        log(f"the response shows {len(products)} products, first {products[0]['name']!r}")

        if args.screenshot:
            # The operation, its try-it-out and its response, below the page's header.
            page.evaluate(block_js(*target, "b.scrollIntoView(); window.scrollBy(0, -10);"
                                            "return true;"))
            time.sleep(0.5)
            shot = page.call("Page.captureScreenshot", format="png")
            with open(args.screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            log(f"screenshot: {args.screenshot}")

        check_network_and_console(page, base)


def check_network_and_console(page, base):
    """Every request answered 200 (the page, its CSS and JS, the document, the try-it-out call),
    none failed; no console error, no uncaught exception."""
    with contextlib.suppress(Exception):
        page.call("Runtime.evaluate", expression="0")  # collects events still in flight
    requests, status, failed, errors = {}, {}, {}, []
    for e in page.events:
        p = e.get("params", {})
        m = e["method"]
        if m == "Network.requestWillBeSent":
            requests[p["requestId"]] = (p["request"]["url"], p.get("type", "?"))
        elif m == "Network.responseReceived":
            status[p["requestId"]] = p["response"]["status"]
        elif m == "Network.loadingFailed":
            failed[p["requestId"]] = p.get("errorText", "?")
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append("console." + p["type"] + ": " + " ".join(
                str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif m == "Runtime.exceptionThrown":
            errors.append("uncaught: " + exception_text(p))
        elif (m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error" and
              p["entry"].get("url") != base + "/favicon.ico"):
            errors.append("log: " + p["entry"].get("text", "") + " " + p["entry"].get("url", ""))
    bad = []
    for rid, (url, kind) in requests.items():
        if url == base + "/favicon.ico":
            continue  # the browser's own request (the page links no icon; the shop has none)
        if rid in failed:
            bad.append(f"{kind} {url}: failed ({failed[rid]})")
        elif status.get(rid) != 200:
            bad.append(f"{kind} {url}: status {status.get(rid, 'none')}")
    expected = {base + p for p in ("/api/docs/", "/api/docs/swagger-ui.css",
                                   "/api/docs/swagger-ui-bundle.js", "/api/schema/",
                                   "/api/v1/products/")}
    asked = {url.split("?")[0] for url, _ in requests.values()}
    if expected - asked:
        bad.append(f"never requested: {sorted(expected - asked)}")
    if bad:
        raise Failure("requests the page made went wrong:\n  " + "\n  ".join(bad))
    if errors:
        raise Failure("the page logged errors:\n  " + "\n  ".join(errors))
    log(f"{len(requests)} requests, all answered 200; no console error")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shop", required=True, help="the shop binary")
    parser.add_argument("--swagger-ui", required=True, help="npm's swagger-ui-dist folder")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--screenshot", default=os.environ.get("RAMPART_SCREENSHOT") or None,
                        help="write a PNG of the page after the try-it-out here")
    args = parser.parse_args()

    try:
        import websocket
    except ImportError:
        log("skipped: no Python websocket module (Debian python3-websocket; cmake/dev.sh deps)")
        return SKIP
    if not shutil.which(args.chromium):
        log(f"skipped: no {args.chromium} (Debian chromium; cmake/dev.sh deps)")
        return SKIP
    if not os.path.isfile(os.path.join(args.swagger_ui, "swagger-ui-bundle.js")):
        log(f"skipped: no swagger-ui-dist in {args.swagger_ui} (cmake/dev.sh deps)")
        return SKIP
    if not os.access(args.shop, os.X_OK):
        log(f"FAILED: no shop binary at {args.shop}")
        return 1

    # ctest stops a test with SIGTERM on its timeout: unwind, so both processes are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("swagger-ui test: terminated"))
    try:
        run(args, websocket)
    except Failure as e:
        log(f"FAILED: {e}")
        return 1
    except Exception as e:  # the DevTools socket timed out or closed, ...
        log(f"FAILED: {type(e).__name__}: {e}")
        raise
    log("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
