"""Behind a gateway's path prefix: X-Forwarded-Prefix from a trusted proxy, or URL_PREFIX.

Every URL the API writes carries the prefix: Location, Link, the token cookies' paths, the
OpenAPI `servers` and Swagger UI's URLs. With TESTING off, as every token path is tested.
"""

import live
import pytest
from helpers import NOT_FOUND, PASSWORD, assert_problem, json_body, register

import config

PREFIXED = {"X-Forwarded-Prefix": "/cashman"}


def sign_in(client, cookies: bool = False) -> dict:
    register(client, "alice")
    body = {"username": "alice", "password": PASSWORD, "cookies": cookies}
    return json_body(client.post("/auth/login", json=body))


def cookie_paths(response) -> dict[str, str]:
    """Each Set-Cookie header's Path, by cookie name."""
    paths = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        paths[name] = next(part for part in header.split("; ") if part.startswith("Path="))
    return paths


def created_income(client, headers: dict) -> tuple[dict, str]:
    response = client.post("/incomes", json={"description": "Salary", "amount": 1}, headers=headers)
    return json_body(response, 201), response.headers["Location"]


def next_link(client, headers: dict) -> str:
    for _ in range(2):
        created_income(client, headers)
    response = client.get("/incomes?limit=1", headers=headers)
    return response.headers["Link"]


# X-Forwarded-Prefix


@pytest.fixture
def proxied(another_app):
    """A client behind one trusted proxy (which strips /cashman) with a bearer token."""
    client = another_app(testing=False, TRUSTED_PROXY_COUNT=1).test_client()
    tokens = sign_in(client)
    return client, {"Authorization": f"Bearer {tokens['access_token']}", **PREFIXED}


def test_a_forwarded_prefix_is_in_location_and_link(proxied):
    client, headers = proxied
    row, location = created_income(client, headers)
    assert location == f"/cashman/incomes/{row['id']}"
    assert next_link(client, headers).startswith(
        "<http://localhost/cashman/incomes?limit=1&cursor="
    )


def test_a_forwarded_prefix_is_in_the_token_cookies_paths(another_app):
    client = another_app(testing=False, TRUSTED_PROXY_COUNT=1).test_client()
    register(client, "alice")
    body = {"username": "alice", "password": PASSWORD, "cookies": True}
    answer = client.post("/auth/login", json=body, headers=PREFIXED)
    assert cookie_paths(answer) == {
        "access_token_cookie": "Path=/cashman/",
        "csrf_access_token": "Path=/cashman/",
        "refresh_token_cookie": "Path=/cashman/auth",
        "csrf_refresh_token": "Path=/cashman/",
    }


def test_the_cookies_expire_at_the_prefixed_paths_they_were_set_with(another_app):
    app = another_app(testing=False, TRUSTED_PROXY_COUNT=1)
    browser = app.test_client()
    register(browser, "alice")
    body = {"username": "alice", "password": PASSWORD, "cookies": True}
    browser.post("/auth/login", json=body, headers=PREFIXED)
    # The browser sends them to /cashman/auth/logout; the gateway strips /cashman, so the app
    # sees /auth/logout, where the test client's own jar (which matches paths) has none.
    cookies = {
        name: browser.get_cookie(name, path="/cashman/").value
        for name in ("access_token_cookie", "csrf_access_token")
    }
    headers = {
        **PREFIXED,
        "X-CSRF-TOKEN": cookies["csrf_access_token"],
        "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
    }
    response = app.test_client(use_cookies=False).post("/auth/logout", headers=headers)
    assert response.status_code == 204
    assert cookie_paths(response) == {
        "access_token_cookie": "Path=/cashman/",
        "csrf_access_token": "Path=/cashman/",
        "refresh_token_cookie": "Path=/cashman/auth",
        "csrf_refresh_token": "Path=/cashman/",
    }


def test_a_forwarded_prefix_is_the_openapi_server_and_swagger_uis_urls(another_app):
    client = another_app(testing=False, TRUSTED_PROXY_COUNT=1).test_client()
    document = json_body(client.get("/openapi.json", headers=PREFIXED))
    assert document["servers"] == [{"url": "/cashman"}]
    page = client.get("/docs/", headers=PREFIXED).get_data(as_text=True)
    assert '"url": "/cashman/openapi.json"' in page
    assert 'href="/cashman/docs/swagger-ui.css"' in page
    assert 'src="/cashman/docs/swagger-ui-bundle.js"' in page


def test_without_a_prefix_the_urls_start_at_the_root(another_app):
    client = another_app(testing=False).test_client()
    tokens = sign_in(client)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    row, location = created_income(client, headers)
    assert location == f"/incomes/{row['id']}"
    assert json_body(client.get("/openapi.json"))["servers"] == [{"url": "/"}]
    page = client.get("/docs/").get_data(as_text=True)
    assert '"url": "/openapi.json"' in page and 'href="/docs/swagger-ui.css"' in page


def test_an_untrusted_forwarded_prefix_is_ignored(another_app):
    client = another_app(testing=False, TRUSTED_PROXY_COUNT=0).test_client()
    tokens = sign_in(client)
    headers = {"Authorization": f"Bearer {tokens['access_token']}", **PREFIXED}
    row, location = created_income(client, headers)
    assert location == f"/incomes/{row['id']}"
    assert json_body(client.get("/openapi.json", headers=PREFIXED))["servers"] == [{"url": "/"}]
    body = {"username": "alice", "password": PASSWORD, "cookies": True}
    answer = client.post("/auth/login", json=body, headers=PREFIXED)
    assert cookie_paths(answer)["refresh_token_cookie"] == "Path=/auth"


# URL_PREFIX


@pytest.fixture
def mounted(another_app):
    return another_app(testing=False, URL_PREFIX="/api").test_client()


def test_url_prefix_serves_every_route_under_it(mounted):
    register_answer = mounted.post(
        "/api/auth/register", json={"username": "alice", "password": PASSWORD}
    )
    assert register_answer.status_code == 201
    tokens = json_body(
        mounted.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    )
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = mounted.post(
        "/api/incomes", json={"description": "Salary", "amount": 1}, headers=headers
    )
    row = json_body(response, 201)
    assert response.headers["Location"] == f"/api/incomes/{row['id']}"
    assert json_body(mounted.get(f"/api/incomes/{row['id']}", headers=headers)) == row
    assert json_body(mounted.get("/api/.well-known/jwks.json")) == {"keys": []}
    assert json_body(mounted.get("/api/health")) == {"status": "ok"}
    assert json_body(mounted.get("/api/openapi.json"))["servers"] == [{"url": "/api"}]
    page = mounted.get("/api/docs/")
    assert page.status_code == 200
    assert '"url": "/api/openapi.json"' in page.get_data(as_text=True)
    with mounted.get("/api/docs/swagger-ui.css") as stylesheet:
        assert stylesheet.status_code == 200


@pytest.mark.parametrize(
    "path", ["/incomes", "/health", "/docs/", "/openapi.json", "/", "/api", "/apiary/health"]
)
def test_url_prefix_leaves_nothing_outside_it_but_a_404_problem(mounted, path):
    assert_problem(mounted.get(path), 404, "Not Found", NOT_FOUND)


def test_url_prefix_refuses_a_change_outside_it_before_reading_the_token(mounted):
    response = mounted.post("/incomes", json={"description": "Salary", "amount": 1})
    assert_problem(response, 404, "Not Found", NOT_FOUND)


def test_url_prefix_puts_the_cookies_under_it_and_refresh_finds_its_cookie(mounted):
    mounted.post("/api/auth/register", json={"username": "alice", "password": PASSWORD})
    body = {"username": "alice", "password": PASSWORD, "cookies": True}
    answer = mounted.post("/api/auth/login", json=body)
    assert cookie_paths(answer)["refresh_token_cookie"] == "Path=/api/auth"
    assert cookie_paths(answer)["access_token_cookie"] == "Path=/api/"
    refresh_csrf = mounted.get_cookie("csrf_refresh_token", path="/api/").value
    refreshed = mounted.post("/api/auth/refresh", headers={"X-CSRF-TOKEN": refresh_csrf})
    assert json_body(refreshed)["token_type"] == "cookie"
    assert cookie_paths(refreshed)["refresh_token_cookie"] == "Path=/api/auth"
    assert json_body(mounted.get("/api/incomes")) == []


def test_url_prefix_is_in_flask_jwt_extendeds_own_cookie_path_settings(mounted):
    """The static prefix is set where the library reads it; only a forwarded one is added."""
    config = mounted.application.config
    paths = {name: config[f"JWT_{name}_COOKIE_PATH"] for name in ("ACCESS", "ACCESS_CSRF")}
    paths |= {name: config[f"JWT_{name}_COOKIE_PATH"] for name in ("REFRESH", "REFRESH_CSRF")}
    assert paths == {
        "ACCESS": "/api/",
        "ACCESS_CSRF": "/api/",
        "REFRESH": "/api/auth",
        "REFRESH_CSRF": "/api/",
    }


def test_url_prefix_and_a_forwarded_prefix_add_up(another_app):
    client = another_app(testing=False, URL_PREFIX="/api", TRUSTED_PROXY_COUNT=1).test_client()
    document = json_body(client.get("/api/openapi.json", headers=PREFIXED))
    assert document["servers"] == [{"url": "/cashman/api"}]
    body = {"username": "alice", "password": PASSWORD}
    assert client.post("/api/auth/register", json=body).status_code == 201
    body["cookies"] = True
    answer = client.post("/api/auth/login", json=body, headers=PREFIXED)
    both = {
        "access_token_cookie": "Path=/cashman/api/",
        "csrf_access_token": "Path=/cashman/api/",
        "refresh_token_cookie": "Path=/cashman/api/auth",
        "csrf_refresh_token": "Path=/cashman/api/",
    }
    assert cookie_paths(answer) == both
    access, csrf = (
        client.get_cookie(name, path="/cashman/api/").value
        for name in ("access_token_cookie", "csrf_access_token")
    )
    headers = {**PREFIXED, "X-CSRF-TOKEN": csrf, "Cookie": f"access_token_cookie={access}"}
    logout = client.application.test_client(use_cookies=False).post(
        "/api/auth/logout", headers=headers
    )
    assert logout.status_code == 204
    assert cookie_paths(logout) == both


@pytest.mark.parametrize("value", ["api", "/api/", "/", "/a b", "/api//v1", "//api"])
def test_a_malformed_url_prefix_stops_the_start(value):
    with pytest.raises(config.ConfigError, match="URL_PREFIX must be a path like '/api'"):
        config.TestingConfig({"URL_PREFIX": value})


def test_url_prefix_is_optional_and_may_be_nested():
    assert config.TestingConfig({}).URL_PREFIX == ""
    assert config.TestingConfig({"URL_PREFIX": "/v1/cashman"}).URL_PREFIX == "/v1/cashman"


def test_the_real_server_serves_under_url_prefix_only(migrated_url, another_app):
    with live.running_server(migrated_url, URL_PREFIX="/api") as base:
        assert live.json_body(live.request(base, "GET", "/api/health")) == {"status": "ok"}
        status, headers, body = live.request(base, "GET", "/health")
        assert (status, headers["Content-Type"], body["title"]) == (
            404,
            "application/problem+json",
            "Not Found",
        )
    another_app()  # empties the tables the server wrote to
