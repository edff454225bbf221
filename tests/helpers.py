"""Assertions shared by the tests."""

from datetime import datetime


def assert_problem(response, status: int, title: str, detail: str, errors=None) -> None:
    """Check the one error shape: RFC 9457 problem details as application/problem+json."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.data.endswith(b"}\n")  # readable in a terminal, like Flask's own JSON
    expected = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors is not None:
        expected["errors"] = errors
    expected["request_id"] = response.headers["X-Request-ID"]
    assert response.get_json() == expected


def assert_invalid_body(response, errors: dict) -> None:
    """Check a 422 for a JSON body whose fields failed validation, naming each one."""
    assert_problem(
        response, 422, "Unprocessable Content", "The request body has invalid fields.", errors
    )


def assert_timestamp(value: str) -> None:
    """An ISO 8601 timestamp with a UTC offset."""
    assert datetime.fromisoformat(value).utcoffset().total_seconds() == 0, value
    assert value.endswith("+00:00"), value


def protected_routes() -> list[tuple[str, str, str]]:
    """(method, path, token) of every rule and method the app guards with a token.

    Read from the URL map of a real app and each view's one declaration (public, or the token
    it needs), so a new route is covered without being listed anywhere.
    """
    from cashman import create_app
    from cashman.resources import required_token
    from config import TestingConfig

    app = create_app(TestingConfig({"DATABASE_URL": "sqlite://", "JWT_SECRET_KEY": "x" * 64}))
    routes = []
    for rule in app.url_map.iter_rules():
        token = required_token(app.view_functions[rule.endpoint])
        if token is None:
            continue
        _, path = rule.build(dict.fromkeys(rule.arguments, 1))
        routes.extend((method, path, token) for method in sorted(rule.methods - UNGUARDED))
    return routes


# Answered by Flask itself (HEAD as GET, OPTIONS with the allowed methods), never by a resource.
UNGUARDED = {"HEAD", "OPTIONS"}
