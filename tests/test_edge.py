"""The edge of every request: request IDs, the JSON log line, CORS, security headers, proxies."""

import json
import logging
import re

import pytest
from helpers import PASSWORD, add_row, assert_problem, login, register

HEX_ID = re.compile(r"[0-9a-f]{32}")
TOO_MANY_ACCOUNTS = "Too many accounts registered from this address; try again later."


def log_lines(caplog) -> list[dict]:
    """The request log records, as the JSON lines the app's handler writes to stderr."""
    formatter = logging.getLogger("cashman").handlers[0].formatter
    return [
        json.loads(formatter.format(record))
        for record in caplog.records
        if record.name == "cashman.requests"
    ]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("abc-123_X.y", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("has space", False),
        ("semi;colon", False),
        ("", False),
    ],
)
def test_a_sane_request_id_is_echoed_otherwise_one_is_made(prod_client, sent, kept):
    response = prod_client.get("/nowhere", headers={"X-Request-ID": sent})
    request_id = response.headers["X-Request-ID"]
    assert request_id == sent if kept else HEX_ID.fullmatch(request_id)
    assert response.get_json()["request_id"] == request_id


def test_every_response_has_its_own_request_id(client, alice):
    ids = {
        client.get(url, headers=alice.headers).headers["X-Request-ID"]
        for url in ["/incomes", "/incomes", "/health", "/nowhere", "/docs/"]
    }
    assert len(ids) == 5 and all(HEX_ID.fullmatch(value) for value in ids)


def test_one_json_log_line_per_request(client, alice, caplog):
    caplog.set_level(logging.INFO, logger="cashman")
    client.get("/incomes?limit=5", headers={**alice.headers, "X-Request-ID": "trace-1"})
    client.get("/nowhere", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    first, second = log_lines(caplog)
    assert first["time"].endswith("Z")  # RFC 3339 in UTC, as msgspec writes it
    assert {key: value for key, value in first.items() if key not in ("time", "duration_ms")} == {
        "level": "INFO",
        "logger": "cashman.requests",
        "message": "request",
        "request_id": "trace-1",
        "method": "GET",
        "path": "/incomes",
        "status": 200,
        "user_id": alice.id,
        "client": "127.0.0.1",
    }
    assert first["duration_ms"] > 0
    assert (second["path"], second["status"], second["user_id"], second["client"]) == (
        "/nowhere",
        404,
        None,
        "192.0.2.7",
    )


def test_no_password_or_token_ever_reaches_a_log(prod_client, make_account, caplog):
    caplog.set_level(logging.DEBUG)
    account = make_account(prod_client, "alice")
    secrets = [PASSWORD, account.access_token, account.refresh_token]
    login(prod_client, "alice", "wrong password")
    secrets.append("wrong password")
    prod_client.get("/incomes", headers=account.headers)
    prod_client.get("/incomes", headers={"Authorization": "Bearer not.a.valid-token"})
    secrets.append("not.a.valid-token")
    prod_client.post("/auth/refresh", headers={"Authorization": f"Bearer {account.refresh_token}"})
    prod_client.post("/auth/logout", headers=account.headers)
    prod_client.get(f"/incomes?q={account.access_token}", headers=account.headers)
    formatter = logging.getLogger("cashman").handlers[0].formatter
    written = "\n".join(formatter.format(record) for record in caplog.records) + caplog.text
    assert "cashman.requests" in written
    for secret in secrets:
        assert secret not in written


def test_security_headers_on_every_response(client, alice):
    for url in [
        "/incomes",
        "/auth/me",
        "/balance",
        "/nowhere",
        "/health",
        "/docs/",
        "/openapi.json",
    ]:
        response = client.get(url, headers=alice.headers)
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["Referrer-Policy"] == "no-referrer", url
        assert "Strict-Transport-Security" not in response.headers, url


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("/incomes", False),
        ("/transactions.csv", False),
        ("/auth/me", False),
        ("/summary?group=month", False),
        ("/openapi.json", True),
        ("/docs/", True),
    ],
)
def test_money_and_accounts_are_never_cached(client, alice, url, stored):
    response = client.get(url, headers=alice.headers)
    assert response.status_code == 200
    assert (response.headers.get("Cache-Control") != "no-store") is stored


def test_login_answers_are_never_cached(client, alice):
    assert login(client, "alice").headers["Cache-Control"] == "no-store"


def test_bodiless_answers_have_no_content_type(client, alice):
    """Found live: DELETE's 204 and OPTIONS answers said `text/html` about no body at all."""
    row = add_row(client, alice)
    etag = client.get(f"/incomes/{row['id']}", headers=alice.headers).headers["ETag"]
    not_modified = client.get(
        f"/incomes/{row['id']}", headers={**alice.headers, "If-None-Match": etag}
    )
    deleted = client.delete(f"/incomes/{row['id']}", headers=alice.headers)
    options = client.options("/health")
    for response, status in [(not_modified, 304), (deleted, 204), (options, 200)]:
        assert response.status_code == status
        assert response.data == b""
        assert "Content-Type" not in response.headers, status
    assert set(options.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_hsts_over_https(app):
    response = app.test_client().get("/health", base_url="https://cashman.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


FORWARDED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "api.example",
}


def test_behind_a_trusted_proxy_its_forwarded_headers_are_used(another_app, make_account, caplog):
    caplog.set_level(logging.INFO, logger="cashman")
    client = another_app(TRUSTED_PROXY_COUNT=1).test_client()
    account = make_account(client, "ann")
    for n in range(2):
        add_row(client, account, description=f"x{n}")
    response = client.get("/incomes?limit=1", headers={**account.headers, **FORWARDED})
    assert response.headers["Link"].startswith("<https://api.example/incomes?")
    assert response.headers["Strict-Transport-Security"]
    created = client.post(
        "/incomes", json={"description": "y", "amount": 1}, headers={**account.headers, **FORWARDED}
    )
    assert created.headers["Location"].startswith("/incomes/")
    assert log_lines(caplog)[-1]["client"] == "203.0.113.9"


def test_without_trusted_proxies_forwarded_headers_are_ignored(client, alice, caplog):
    caplog.set_level(logging.INFO, logger="cashman")
    for n in range(2):
        add_row(client, alice, description=f"x{n}")
    response = client.get("/incomes?limit=1", headers={**alice.headers, **FORWARDED})
    assert response.headers["Link"].startswith("<http://localhost/incomes?")
    assert "Strict-Transport-Security" not in response.headers
    assert log_lines(caplog)[-1]["client"] == "127.0.0.1"


def test_a_spoofed_address_cannot_escape_the_address_limit(another_app):
    client = another_app(RATE_LIMIT_REGISTER_ADDRESS="1 per hour").test_client()
    register(client, "ann")
    spoofed = client.post(
        "/auth/register",
        json={"username": "bea", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.1"},
    )
    assert_problem(spoofed, 429, "Too Many Requests", TOO_MANY_ACCOUNTS)


def test_behind_a_proxy_each_client_address_has_its_own_budget(another_app):
    client = another_app(
        TRUSTED_PROXY_COUNT=1, RATE_LIMIT_REGISTER_ADDRESS="1 per hour"
    ).test_client()
    for n, address in enumerate(["198.51.100.1", "198.51.100.2"]):
        response = client.post(
            "/auth/register",
            json={"username": f"user{n}", "password": PASSWORD},
            headers={"X-Forwarded-For": address},
        )
        assert response.status_code == 201
    again = client.post(
        "/auth/register",
        json={"username": "user9", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.1"},
    )
    assert_problem(again, 429, "Too Many Requests", TOO_MANY_ACCOUNTS)


WEB_APP = "https://app.example"


def test_cors_preflight_for_an_allowed_origin(another_app):
    client = another_app(CORS_ORIGINS=[WEB_APP]).test_client()
    response = client.options(
        "/incomes",
        headers={
            "Origin": WEB_APP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == WEB_APP
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = {
        name.strip().lower() for name in response.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert allowed == {"authorization", "content-type", "idempotency-key"}
    assert response.headers["Access-Control-Max-Age"] == "600"


def test_cors_exposes_the_paging_and_tracing_headers(another_app, make_account):
    client = another_app(CORS_ORIGINS=[WEB_APP, "https://admin.example"]).test_client()
    account = make_account(client, "ann")
    response = client.get("/incomes", headers={**account.headers, "Origin": WEB_APP})
    assert response.headers["Access-Control-Allow-Origin"] == WEB_APP
    exposed = {
        name.strip() for name in response.headers["Access-Control-Expose-Headers"].split(",")
    }
    assert {"Link", "X-Total-Count", "ETag", "Location", "X-Request-ID"} <= exposed


def test_cors_refuses_other_origins_and_is_off_by_default(another_app, client):
    allowed = another_app(CORS_ORIGINS=[WEB_APP]).test_client()
    for test_client, origin in [(allowed, "https://evil.example"), (client, WEB_APP)]:
        response = test_client.get("/health", headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("origins", [[WEB_APP], [WEB_APP, "https://admin.example"]])
def test_with_cors_every_answer_varies_by_origin(another_app, origins):
    """Found live: with one allowed origin no answer said `Vary: Origin` (flask-cors marks only
    answers to an allowed origin, and only with several), so a shared cache could hand the
    JWKS it kept for a request without Origin (no Access-Control-Allow-Origin) to the web app."""
    client = another_app(CORS_ORIGINS=origins).test_client()
    for origin in ({}, {"Origin": WEB_APP}, {"Origin": "https://evil.example"}):
        for response in (
            client.get("/.well-known/jwks.json", headers=origin),
            client.get("/nowhere", headers=origin),
            client.options("/incomes", headers={**origin, "Access-Control-Request-Method": "GET"}),
        ):
            assert response.headers.getlist("Vary") == ["Accept-Language, Origin"], origin
    jwks = client.get("/.well-known/jwks.json", headers={"Origin": WEB_APP})
    assert jwks.headers["Access-Control-Allow-Origin"] == WEB_APP
    assert jwks.headers["Cache-Control"] == "public, max-age=300"


def test_without_cors_no_answer_varies_by_origin(client):
    assert client.get("/.well-known/jwks.json").headers.getlist("Vary") == ["Accept-Language"]


URI_TOO_LONG = (414, "URI Too Long", "The URL is longer than 4096 bytes.")
HEADERS_TOO_LARGE = (
    431,
    "Request Header Fields Too Large",
    "A request may have 100 headers of at most 8190 bytes each.",
)


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        (f"/incomes?q={'x' * 5000}", {}, URI_TOO_LONG),
        (f"/{'a' * 4096}", {}, URI_TOO_LONG),
        ("/incomes", {"Authorization": f"Bearer {'x' * 100_000}"}, HEADERS_TOO_LARGE),
        ("/health", {"X-Request-ID": "r" * 10_000}, HEADERS_TOO_LARGE),
        ("/health", {f"X-Extra-{n}": "1" for n in range(101)}, HEADERS_TOO_LARGE),
    ],
)
def test_an_oversize_url_or_header_is_a_problem(prod_client, path, headers, expected):
    """Found live: gunicorn answered these with HTML pages of its own."""
    response = prod_client.get(path, headers=headers)
    assert_problem(response, *expected)
    assert response.headers["X-Request-ID"] != headers.get("X-Request-ID")


def test_a_head_within_the_limits_is_served(prod_client):
    headers = {"X-Filler": "f" * (8190 - len("X-Filler") - 2)}
    headers |= {f"X-Extra-{n}": "1" for n in range(90)}
    assert prod_client.get(f"/health?{'p' * 4000}", headers=headers).status_code == 200
