"""Sign-in for browser apps: httpOnly token cookies with flask-jwt-extended's CSRF double submit.

With TESTING off (production error paths), as every token path is tested.
"""

import pytest
from helpers import PASSWORD, assert_problem, json_body, register

WEB_APP = "http://127.0.0.1:8001"
CSRF = (403, "Forbidden", "The X-CSRF-TOKEN header must match the CSRF cookie.")
COOKIES = ("access_token_cookie", "refresh_token_cookie", "csrf_access_token", "csrf_refresh_token")


@pytest.fixture
def browser(another_app):
    """A test client that keeps cookies, signed in as alice with `"cookies": true`."""
    client = another_app(testing=False, CORS_ORIGINS=[WEB_APP]).test_client()
    register(client, "alice")
    body = {"username": "alice", "password": PASSWORD, "cookies": True}
    client.answer = client.post("/auth/login", json=body)
    return client


def set_cookies(response) -> dict[str, str]:
    """Each Set-Cookie header by cookie name."""
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def csrf(client, name: str = "csrf_access_token") -> dict[str, str]:
    return {"X-CSRF-TOKEN": client.get_cookie(name).value}


def test_a_cookie_sign_in_puts_no_token_in_the_body(browser):
    body = json_body(browser.answer)
    assert set(body) == {"token_type", "expires_in", "session_id"}
    assert (body["token_type"], body["expires_in"]) == ("cookie", 900)
    cookies = set_cookies(browser.answer)
    assert set(cookies) == set(COOKIES)
    for name, path, http_only in [
        ("access_token_cookie", "Path=/;", True),
        ("refresh_token_cookie", "Path=/auth;", True),
        ("csrf_access_token", "Path=/;", False),
        ("csrf_refresh_token", "Path=/;", False),
    ]:
        header = cookies[name]
        assert path in header and "SameSite=Lax" in header, header
        assert ("HttpOnly" in header) is http_only, header
        assert "Secure" not in header  # off outside production, so http://127.0.0.1 works


def test_cookies_are_secure_when_configured(another_app):
    client = another_app(testing=False, JWT_COOKIE_SECURE=True).test_client()
    register(client, "alice")
    answer = client.post(
        "/auth/login", json={"username": "alice", "password": PASSWORD, "cookies": True}
    )
    assert all("; Secure" in header for header in set_cookies(answer).values())


def test_the_access_cookie_authenticates_reads_and_changes_with_the_csrf_header(browser):
    assert json_body(browser.get("/incomes")) == []
    created = browser.post(
        "/incomes", json={"description": "Pay", "amount": 5}, headers=csrf(browser)
    )
    assert created.status_code == 201
    row = created.get_json()
    patched = browser.patch(f"/incomes/{row['id']}", json={"amount": 6}, headers=csrf(browser))
    assert json_body(patched)["amount"] == 6


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/incomes", {"description": "Pay", "amount": 5}),
        (
            "POST",
            "/sync",
            {"operations": [{"op": "delete", "id": "0192f1f4-7d3a-7cc0-8a4e-1d6b8c2f3e4a"}]},
        ),
        ("DELETE", "/auth/sessions", None),
        ("POST", "/auth/password", {"current_password": PASSWORD, "new_password": "x" * 12}),
        ("POST", "/auth/logout", None),
        ("DELETE", "/auth/me", None),
    ],
)
@pytest.mark.parametrize("header", [None, "wrong"])
def test_a_change_without_the_matching_csrf_header_is_a_403_and_changes_nothing(
    browser, method, path, body, header
):
    headers = {} if header is None else {"X-CSRF-TOKEN": header}
    response = browser.open(path, method=method, json=body, headers=headers)
    assert_problem(response, *CSRF)
    assert "Set-Cookie" not in response.headers
    assert json_body(browser.get("/incomes")) == []
    # 1: the default account made at registration, the user's first change, and nothing since.
    assert json_body(browser.get("/sync"))["server_knowledge"] == 1
    assert len(json_body(browser.get("/auth/sessions"))) == 1
    assert browser.get("/auth/me").status_code == 200


def test_a_bearer_request_needs_no_csrf_header(browser):
    tokens = json_body(
        browser.post("/auth/login", json={"username": "alice", "password": PASSWORD})
    )
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = browser.post("/incomes", json={"description": "Pay", "amount": 5}, headers=headers)
    assert response.status_code == 201


def test_a_cookie_refresh_rotates_the_cookies_with_the_refresh_csrf_header(browser):
    refused = browser.post("/auth/refresh", headers=csrf(browser, "csrf_access_token"))
    assert_problem(refused, *CSRF)
    assert "Set-Cookie" not in refused.headers
    old_refresh = browser.get_cookie("refresh_token_cookie", path="/auth").value
    answer = browser.post("/auth/refresh", headers=csrf(browser, "csrf_refresh_token"))
    assert json_body(answer) == {"token_type": "cookie", "expires_in": 900}
    assert set(set_cookies(answer)) == set(COOKIES)
    assert browser.get_cookie("refresh_token_cookie", path="/auth").value != old_refresh
    assert browser.get("/incomes").status_code == 200


def test_logout_revokes_and_expires_the_four_cookies_where_they_were_set(browser):
    access = browser.get_cookie("access_token_cookie").value
    answer = browser.post("/auth/logout", headers=csrf(browser))
    assert answer.status_code == 204
    cookies = set_cookies(answer)
    assert set(cookies) == set(COOKIES)
    for name, header in cookies.items():
        assert header.startswith(f"{name}=;") and "Expires=Thu, 01 Jan 1970" in header
    assert "Path=/auth;" in cookies["refresh_token_cookie"]
    assert browser.get_cookie("access_token_cookie") is None
    browser.set_cookie("access_token_cookie", access)  # a copy kept elsewhere is revoked
    assert_problem(browser.get("/incomes"), 401, "Unauthorized", "The token has been revoked.")


def test_cors_lets_the_listed_origins_send_cookies_and_the_csrf_header(browser):
    preflight = browser.options(
        "/incomes",
        headers={
            "Origin": WEB_APP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, X-CSRF-TOKEN",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == WEB_APP
    assert preflight.headers["Access-Control-Allow-Credentials"] == "true"
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "x-csrf-token" in allowed
    other = browser.get("/incomes", headers={"Origin": "https://evil.example"})
    assert not [name for name in other.headers.keys() if name.startswith("Access-Control")]
