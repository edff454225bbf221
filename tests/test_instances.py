"""Scale-out: two real gunicorn instances on two ports sharing one PostgreSQL and one Redis.

Runs in the suite's PostgreSQL pass (--database-url postgresql+psycopg://..., as .ci/run does),
with this machine's Redis at 127.0.0.1:6379 (database 15, emptied of Cashman's keys first).
"""

import pytest
import redis
from conftest import PASSWORD
from live import request, running_server

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def shared_redis():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(
            "Redis is not answering at 127.0.0.1:6379; start it with: redis-server --daemonize yes "
            '--bind 127.0.0.1 --port 6379 --save "" --appendonly no'
        )
    for key in client.scan_iter("LIMITS:LIMITER/cashman/*"):
        client.delete(key)
    yield REDIS_URL
    client.close()


@pytest.fixture
def two_instances(migrated_url, shared_redis, another_app):
    if not migrated_url.startswith("postgresql"):
        pytest.skip("instances share a PostgreSQL database: run with --database-url")
    settings = {"REDIS_URL": shared_redis, "RATE_LIMIT_LOGIN_USERNAME": "3 per minute"}
    with (
        running_server(migrated_url, **settings) as a,
        running_server(migrated_url, **settings) as b,
    ):
        yield a, b
    another_app()  # empties the tables the servers wrote to


def login(base: str, password: str = PASSWORD) -> tuple[int, dict]:
    status, _, body = request(
        base, "POST", "/auth/login", {"username": "ann", "password": password}
    )
    return status, body


def test_tokens_rows_and_logouts_hold_across_instances(two_instances):
    a, b = two_instances
    assert request(a, "POST", "/auth/register", {"username": "ann", "password": PASSWORD})[0] == 201
    status, tokens = login(a)
    assert status == 200
    token = tokens["access_token"]

    assert request(b, "GET", "/auth/me", token=token)[2]["username"] == "ann"
    status, _, created = request(
        a, "POST", "/incomes", {"description": "Salary", "amount": "5000.01"}, token=token
    )
    assert status == 201
    status, headers, listed = request(b, "GET", "/incomes", token=token)
    assert (status, headers["X-Total-Count"], listed) == (200, "1", [created])

    assert request(a, "POST", "/auth/logout", token=token)[0] == 204
    status, _, problem = request(b, "GET", "/incomes", token=token)
    assert (status, problem["detail"]) == (401, "The token has been revoked.")


def test_the_login_limit_counts_attempts_on_every_instance(two_instances):
    a, b = two_instances
    request(a, "POST", "/auth/register", {"username": "ann", "password": PASSWORD})
    assert login(a, "wrong 1")[0] == 401
    assert login(b, "wrong 2")[0] == 401
    assert login(a, "wrong 3")[0] == 401
    status, problem = login(b)  # the right password, but the username is locked everywhere
    assert (status, problem["detail"]) == (
        429,
        "Too many failed logins for this username; try again later.",
    )
    assert login(a)[0] == 429
