"""A web app on a second origin signs in with cookies in a real browser (docs/api.md, "Browser
sign-in with cookies").

The API runs as a live server whose CORS_ORIGINS is http://127.0.0.1:<B>; a page served from that
origin by a small HTTP server calls it with fetch and `credentials: "include"`. Both origins share
the host, so the page reads the CSRF cookies the API sets and the browser sends the token cookies
with every request, forged form posts included: only the X-CSRF-TOKEN double submit refuses those.
Headless Chromium from Debian, with test_browser.py's skip rule (CASHMAN_REQUIRE_BROWSER=1).
"""

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers import PASSWORD, problem_body
from live import json_body, login, register, request

CHROMIUM = Path("/usr/bin/chromium")

if not CHROMIUM.exists() and os.environ.get("CASHMAN_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

COOKIES = {"access_token_cookie", "refresh_token_cookie", "csrf_access_token", "csrf_refresh_token"}
CSRF = (403, "Forbidden", "The X-CSRF-TOKEN header must match the CSRF cookie.")
# The web app: `call` answers {status, type, id, body}. The forms are what another page could
# post with the browser's cookies and no header: a JSON body smuggled into text/plain, and a plain
# urlencoded form. They answer into the iframe, so the page stays. The API is `?api=` in its URL.
PAGE = b"""<!doctype html>
<title>web app</title>
<iframe name="sink"></iframe>
<form id="text" method="post" action="" enctype="text/plain" target="sink">
  <input name='{"description": "Forged", "amount": "1", "x": "' value='"}'>
</form>
<form id="urlencoded" method="post" action="" target="sink">
  <input name="description" value="Forged"><input name="amount" value="1">
</form>
<script>
const api = new URLSearchParams(location.search).get("api");
for (const form of document.forms) form.action = api + "/incomes";
const csrf = (name) =>
  document.cookie.split("; ").find((c) => c.startsWith(name + "="))?.split("=")[1];
async function call(method, path, body, token) {
  const headers = body === null ? {} : {"Content-Type": "application/json"};
  if (token) headers["X-CSRF-TOKEN"] = token;
  const answer = await fetch(api + path, {
    method, headers, credentials: "include", signal: AbortSignal.timeout(10000),
    body: body === null ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  return {status: answer.status, type: answer.headers.get("Content-Type"),
          id: answer.headers.get("X-Request-ID"), body: text ? JSON.parse(text) : null};
}
</script>
"""


@contextmanager
def web_app() -> Iterator[str]:
    """Serve PAGE on 127.0.0.1, on a port of its own; yield its origin."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def call(page, method: str, path: str, body=None, csrf: str | None = None) -> dict:
    """fetch from the page, with the X-CSRF-TOKEN header read from the `csrf` cookie if named."""
    script = "([m, p, b, c]) => call(m, p, b, c ? csrf(c) : null)"
    return page.evaluate(script, [method, path, body, csrf])


def assert_problem(answer: dict, status: int, title: str, detail: str) -> None:
    assert answer["status"] == status, answer
    assert answer["type"] == "application/problem+json"
    assert answer["body"] == {**problem_body(status, title, detail), "request_id": answer["id"]}


@pytest.fixture
def origins(server_on_test_database) -> Iterator[tuple[str, str]]:
    """The API (cookies not Secure, so plain http works) and the web app it lets in."""
    with web_app() as app:
        settings = {"CORS_ORIGINS": app, "JWT_COOKIE_SECURE": "false"}
        with server_on_test_database(**settings) as server:
            yield server.base, app


def test_a_web_app_signs_in_with_cookies_and_a_forged_form_changes_nothing(origins):
    api, app = origins
    register(api, "webapp")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], timeout=30_000
        )
        try:
            context = browser.new_context()
            context.set_default_timeout(10_000)
            page = context.new_page()
            page.goto(f"{app}/?api={api}")

            body = {"username": "webapp", "password": PASSWORD, "cookies": True}
            signed_in = call(page, "POST", "/auth/login", body)
            assert signed_in["status"] == 200, signed_in
            session = signed_in["body"]  # no token in it
            assert set(session) == {"token_type", "expires_in", "session_id"}
            assert (session["token_type"], session["expires_in"]) == ("cookie", 900)
            readable = {c.split("=")[0] for c in page.evaluate("document.cookie").split("; ")}
            assert readable == {"csrf_access_token", "csrf_refresh_token"}  # the rest: httpOnly
            jar = {c["name"]: c for c in context.cookies() if c["domain"] == "127.0.0.1"}
            assert set(jar) == COOKIES
            assert jar["refresh_token_cookie"]["path"] == "/auth"
            assert all(c["sameSite"] == "Lax" and not c["secure"] for c in jar.values())

            assert (listed := call(page, "GET", "/incomes"))["status"] == 200
            assert listed["body"] == []
            row = {"description": "Salary", "amount": "3000.00"}
            created = call(page, "POST", "/incomes", row, csrf="csrf_access_token")
            assert created["status"] == 201, created
            assert_problem(call(page, "POST", "/incomes", row), *CSRF)
            wrong = call(page, "POST", "/incomes", row, csrf="csrf_refresh_token")
            assert_problem(wrong, *CSRF)

            for form in ("text", "urlencoded"):
                with page.expect_response(
                    lambda r: r.url == f"{api}/incomes" and r.request.method == "POST"
                ) as forged:
                    page.evaluate("form => document.getElementById(form).submit()", form)
                answer = forged.value
                # The browser sent the access cookie (same site): the missing header refuses it.
                assert "access_token_cookie=" in answer.request.all_headers()["cookie"]
                assert answer.status == 403, answer.text()
                assert answer.headers["content-type"] == "application/problem+json"
                expected = problem_body(*CSRF)
                assert answer.json() == {**expected, "request_id": answer.headers["x-request-id"]}

            listed = call(page, "GET", "/incomes")
            assert [income["description"] for income in listed["body"]] == ["Salary"]

            signed_out = call(page, "POST", "/auth/logout", csrf="csrf_access_token")
            assert signed_out["status"] == 204, signed_out
            assert not COOKIES & {c["name"] for c in context.cookies()}
            assert page.evaluate("document.cookie") == ""
            after = call(page, "GET", "/incomes")
            assert_problem(after, 401, "Unauthorized", "A bearer access token is required.")
        finally:
            browser.close()

    token = json_body(login(api, "webapp"))["access_token"]
    incomes = json_body(request(api, "GET", "/incomes", token=token))
    assert [(income["description"], income["amount"]) for income in incomes] == [("Salary", 3000)]
