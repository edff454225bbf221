"""Fixtures: a migrated database per run (SQLite, or --database-url), emptied after each test."""

from dataclasses import dataclass

import flask_migrate
import pytest
from live import running_server
from sqlalchemy import text

from cashman import create_app
from cashman.database import db
from cashman.limits import limiter
from config import TestingConfig

PASSWORD = "correct horse battery"


def pytest_addoption(parser):
    parser.addoption(
        "--database-url",
        default=None,
        help="run against this database (e.g. PostgreSQL) instead of a temporary SQLite file",
    )


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory) -> str:
    url = request.config.getoption("--database-url")
    return url or f"sqlite:///{tmp_path_factory.mktemp('db') / 'cashman.db'}"


@pytest.fixture(scope="session")
def secret() -> str:
    return "test-secret-long-enough-for-every-hmac-algorithm-0123456789abcdef"


@pytest.fixture(scope="session")
def migrated_url(database_url, secret) -> str:
    """Start from an empty schema and apply every migration once per run."""
    app = create_app(TestingConfig({"DATABASE_URL": database_url, "JWT_SECRET_KEY": secret}))
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        flask_migrate.upgrade()
        db.engine.dispose()
    return database_url


def make_app(url: str, secret: str, testing: bool = True, environ: dict | None = None, **settings):
    """An app on `url`; `environ` as if set in the environment, `settings` set on the config."""
    config = TestingConfig({"DATABASE_URL": url, "JWT_SECRET_KEY": secret, **(environ or {})})
    config.TESTING = testing
    for name, value in settings.items():
        setattr(config, name, value)
    app = create_app(config)
    # One Limiter serves every app of the process (in production there is one app per process):
    # start each test app with no counts left over from another.
    limiter.reset()
    return app


def empty_tables(app) -> None:
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.engine.dispose()


@pytest.fixture
def app(migrated_url, secret):
    app = make_app(migrated_url, secret)
    yield app
    empty_tables(app)


@pytest.fixture
def another_app(migrated_url, secret):
    """Build more apps on the same database (a restart, another process); closed afterwards."""
    apps = []

    def build(**settings):
        apps.append(make_app(migrated_url, secret, **settings))
        return apps[-1]

    yield build
    for built in apps:
        empty_tables(built)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def prod_app(migrated_url, secret):
    """TESTING off: errors take the production path (no propagation), as under gunicorn."""
    app = make_app(migrated_url, secret, testing=False)
    yield app
    empty_tables(app)


@pytest.fixture
def prod_client(prod_app):
    return prod_app.test_client()


@dataclass
class Account:
    id: int
    username: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def register(client, username: str, password: str = PASSWORD) -> int:
    response = client.post("/auth/register", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def login(client, username: str, password: str = PASSWORD) -> dict:
    response = client.post("/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def make_account():
    """Register and log in a user on a given client."""

    def make(client, username: str) -> Account:
        user_id = register(client, username)
        tokens = login(client, username)
        return Account(user_id, username, tokens["access_token"], tokens["refresh_token"])

    return make


@pytest.fixture
def alice(client, make_account) -> Account:
    return make_account(client, "alice")


@pytest.fixture
def bob(client, make_account) -> Account:
    return make_account(client, "bob")


@pytest.fixture
def live_server(migrated_url, another_app):
    """The start script serving the test database with gunicorn on 127.0.0.1."""
    with running_server(migrated_url) as base:
        yield base
    another_app()  # empties the tables the server wrote to
