"""What the tests share: apps, accounts, rows, and the assertions on answers.

Fixtures are in conftest.py, which builds them from these; tests import from here.
The live-server counterparts of register, login, add_row, json_body and assert_problem are in
live.py, which imports this module: the app is imported only where an app is built, so talking
to a live server (tests/fuzz/run.py) does not load it.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

PASSWORD = "correct horse battery"
NOT_FOUND = (
    "The requested URL was not found on the server. If you entered the URL manually please "
    "check your spelling and try again."
)
# An id no row has: item URLs of the route table are built with it.
SOME_ID = "0192f1f4-7d3a-7cc0-8a4e-1d6b8c2f3e4a"
PUBLIC_ID = re.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# Apps


def make_app(url: str, secret: str, testing: bool = True, environ: dict | None = None, **settings):
    """An app on `url`; `environ` as if set in the environment, `settings` set on the config."""
    from cashman import create_app
    from cashman.database import register_migrations
    from config import TestingConfig

    config = TestingConfig({"DATABASE_URL": url, "JWT_SECRET_KEY": secret, **(environ or {})})
    config.TESTING = testing
    for name, value in settings.items():
        setattr(config, name, value)
    app = create_app(config)
    register_migrations(app)  # a test may migrate any app (a server never loads Flask-Migrate)
    # Each app counts its limits afresh: in the database (emptied after each test), in a Redis
    # (emptied by the shared_redis fixture), or in the memory of its own storage.
    return app


# Accounts


@dataclass
class Account:
    id: str  # the public id (a UUID), as the API gives it
    username: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def register(client, username: str, password: str = PASSWORD) -> str:
    """Register a user (which must succeed); return its public id."""
    body = {"username": username, "password": password}
    return json_body(client.post("/auth/register", json=body), 201)["id"]


def login(client, username: str, password: str = PASSWORD, **headers):
    """POST /auth/login and return the response, whatever it is.

    For the tokens of a login that must succeed: `json_body(login(client, name))`.
    """
    body = {"username": username, "password": password}
    return client.post("/auth/login", json=body, headers=headers)


# Rows


ROW = {"description": "Salary", "amount": 1}  # what a row holds unless a test says otherwise


def add_row(client, account, collection: str = "incomes", **fields) -> dict:
    """Create a row of `account` (which must succeed); return it as answered."""
    response = client.post(f"/{collection}", json={**ROW, **fields}, headers=account.headers)
    return json_body(response, 201)


# Answers


def json_body(response, status: int = 200):
    """The JSON body of a response that must have `status` (the body is shown if not)."""
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def problem_body(status: int, title: str, detail: str, errors=None) -> dict:
    """An RFC 9457 problem as the API writes it, but for its request_id."""
    expected = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors is not None:
        expected["errors"] = errors
    return expected


def assert_problem(response, status: int, title: str, detail: str, errors=None) -> None:
    """Check the one error shape: RFC 9457 problem details as application/problem+json."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.data.endswith(b"}\n")  # readable in a terminal, like Flask's own JSON
    expected = problem_body(status, title, detail, errors)
    expected["request_id"] = response.headers["X-Request-ID"]
    assert response.get_json() == expected


def assert_invalid_body(response, errors: dict) -> None:
    """Check a 422 for a JSON body whose fields failed validation, naming each one."""
    assert_problem(
        response, 422, "Unprocessable Content", "The request body has invalid fields.", errors
    )


def assert_public_id(value: str) -> None:
    """A UUID in its lowercase canonical form, as every id the API gives."""
    assert PUBLIC_ID.fullmatch(value), value


def internal_user_id(app, account: "Account") -> int:
    """The database's own key of an account (the API never shows it)."""
    from cashman.models import User
    from cashman.stores.users import db

    with app.app_context():
        return db.session.scalar(db.select(User.id).where(User.public_id == uuid.UUID(account.id)))


def assert_timestamp(value: str) -> None:
    """An ISO 8601 timestamp with a UTC offset."""
    assert datetime.fromisoformat(value).utcoffset().total_seconds() == 0, value
    assert value.endswith("+00:00"), value


# Routes


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
        values = {name: SAMPLE_ARGUMENTS.get(name, uuid.UUID(SOME_ID)) for name in rule.arguments}
        _, path = rule.build(values)
        routes.extend((method, path, token) for method in sorted(rule.methods - UNGUARDED))
    return routes


# Route arguments that are not ids (the rest are built with SOME_ID).
SAMPLE_ARGUMENTS = {"month": date(2026, 11, 1)}
# Answered by Flask itself (HEAD as GET, OPTIONS with the allowed methods), never by a resource.
UNGUARDED = {"HEAD", "OPTIONS"}
