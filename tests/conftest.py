"""Fixtures: a migrated database per run (SQLite, or --database-url), emptied after each test."""

import os

import flask_migrate
import pytest
import redis
from helpers import Account, json_body, login, make_app, register
from live import OPEN_LIMITS, running_server, started_server
from sqlalchemy import text

from cashman import create_app
from cashman.database import db, register_migrations
from config import TestingConfig


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
    register_migrations(app)
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        flask_migrate.upgrade()
        db.engine.dispose()
    return database_url


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


@pytest.fixture
def make_account():
    """Register and log in a user on a given client."""

    def make(client, username: str) -> Account:
        user_id = register(client, username)
        tokens = json_body(login(client, username))
        return Account(user_id, username, tokens["access_token"], tokens["refresh_token"])

    return make


@pytest.fixture
def alice(client, make_account) -> Account:
    return make_account(client, "alice")


@pytest.fixture
def bob(client, make_account) -> Account:
    return make_account(client, "bob")


@pytest.fixture
def server_on_test_database(migrated_url, another_app):
    """Start servers on the suite's database, limits off; the tables are emptied afterwards."""
    yield lambda **settings: started_server(migrated_url, **OPEN_LIMITS, **settings)
    another_app()


@pytest.fixture
def live_server(migrated_url, another_app):
    """The start script serving the test database with gunicorn on 127.0.0.1."""
    with running_server(migrated_url) as base:
        yield base
    another_app()  # empties the tables the server wrote to


@pytest.fixture
def shared_redis():
    """This machine's Redis (database 15, or CASHMAN_TEST_REDIS_URL), emptied of Cashman's
    rate-limit keys first."""
    url = os.environ.get("CASHMAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(
            "Redis is not answering at 127.0.0.1:6379; start it with: redis-server --daemonize yes "
            '--bind 127.0.0.1 --port 6379 --save "" --appendonly no'
        )
    for key in client.scan_iter("LIMITS:LIMITER/cashman/*"):
        client.delete(key)
    yield url
    client.close()
