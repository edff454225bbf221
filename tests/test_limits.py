"""Rate limits: failed logins per username, logins and registrations per address, API per user."""

import contextlib
import json
import socket
import threading
import time

import pytest
import redis
from helpers import PASSWORD, assert_problem, login, register
from live import assert_problem as assert_live_problem
from live import login as live_login
from live import register as live_register
from live import started_server

from config import ConfigError, ProductionConfig

TOO_MANY = "Too Many Requests"
WRONG_CREDENTIALS = "Wrong username or password."
LOCKED = "Too many failed logins for this username; try again later."


def assert_wrong_credentials(response) -> None:
    assert_problem(response, 401, "Unauthorized", WRONG_CREDENTIALS)


def assert_limited(response, detail: str, limit: str) -> None:
    assert_problem(response, 429, TOO_MANY, detail)
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["RateLimit-Limit"] == limit
    assert response.headers["RateLimit-Remaining"] == "0"
    assert int(response.headers["RateLimit-Reset"]) > time.time() - 1


def test_failed_logins_lock_a_username_even_for_the_right_password(another_app):
    client = another_app(testing=False, RATE_LIMIT_LOGIN_USERNAME="3 per minute").test_client()
    register(client, "ann")
    register(client, "bea")
    for attempt in ["wrong1", "wrong2", "wrong3"]:
        response = login(client, "ANN" if attempt == "wrong2" else "ann", attempt)
        assert_wrong_credentials(response)  # any case of the name counts for it
    assert_limited(login(client, "ann"), LOCKED, "3")
    assert login(client, "bea").status_code == 200  # another username is not locked


def test_successful_logins_do_not_count_against_the_username(another_app):
    client = another_app(RATE_LIMIT_LOGIN_USERNAME="2 per minute").test_client()
    register(client, "ann")
    for _ in range(5):
        assert login(client, "ann").status_code == 200


def test_the_lock_lifts_when_the_window_passes(another_app):
    client = another_app(RATE_LIMIT_LOGIN_USERNAME="1 per second").test_client()
    register(client, "ann")
    assert_wrong_credentials(login(client, "ann", "wrong"))
    assert_problem(login(client, "ann"), 429, TOO_MANY, LOCKED)
    time.sleep(1.1)
    assert login(client, "ann").status_code == 200


def test_logins_per_address(another_app):
    client = another_app(testing=False, RATE_LIMIT_LOGIN_ADDRESS="2 per minute").test_client()
    register(client, "ann")
    assert login(client, "ann").status_code == 200
    assert_wrong_credentials(login(client, "nobody", "x"))
    assert_limited(login(client, "ann"), "Too many logins from this address; try again later.", "2")


def test_registrations_per_address(another_app):
    client = another_app(testing=False, RATE_LIMIT_REGISTER_ADDRESS="2 per hour").test_client()
    register(client, "ann")
    register(client, "bea")
    response = client.post("/auth/register", json={"username": "cid", "password": PASSWORD})
    assert_limited(
        response, "Too many accounts registered from this address; try again later.", "2"
    )


def test_requests_per_user_across_every_protected_route(another_app, make_account):
    client = another_app(testing=False, RATE_LIMIT_API_USER="3 per minute").test_client()
    ann, bea = make_account(client, "ann"), make_account(client, "bea")
    counted = client.get("/incomes", headers=ann.headers)
    assert counted.headers["RateLimit-Remaining"] == "2"
    assert "Retry-After" not in counted.headers  # only a 429 says when to retry
    assert client.get("/balance", headers=ann.headers).status_code == 200
    assert client.get("/auth/me", headers=ann.headers).status_code == 200
    assert_limited(
        client.get("/expenses", headers=ann.headers),
        "Too many requests for this user; try again later.",
        "3",
    )
    assert client.get("/incomes", headers=bea.headers).status_code == 200
    no_token = client.get("/incomes")  # refused before counting
    assert_problem(no_token, 401, "Unauthorized", "A bearer access token is required.")


def end_of_the_minute() -> str:
    return str(int(time.time()) // 60 * 60 + 60)


def test_the_user_budget_resets_at_the_end_of_the_clocks_window(another_app, make_account):
    client = another_app(RATE_LIMIT_API_USER="3 per minute").test_client()
    ann = make_account(client, "ann")
    before = end_of_the_minute()
    response = client.get("/incomes", headers=ann.headers)
    assert response.headers["RateLimit-Reset"] in {before, end_of_the_minute()}
    assert (response.headers["RateLimit-Limit"], response.headers["RateLimit-Remaining"]) == (
        "3",
        "2",
    )


def redis_calls(client: redis.Redis) -> dict[str, int]:
    """Commands the Redis server ran so far, by name (but INFO, which asks)."""
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}


def test_with_redis_each_request_spends_the_user_budget_in_one_call(
    another_app, make_account, shared_redis
):
    app = another_app(environ={"REDIS_URL": shared_redis}, RATE_LIMIT_API_USER="4 per minute")
    client = app.test_client()
    ann = make_account(client, "ann")
    assert client.get("/auth/me", headers=ann.headers).status_code == 200  # loads the script
    server = redis.Redis.from_url(shared_redis, socket_timeout=5)
    before = redis_calls(server)
    remaining = [
        client.get("/auth/me", headers=ann.headers).headers["RateLimit-Remaining"] for _ in range(3)
    ]
    limited = client.get("/auth/me", headers=ann.headers)
    after = redis_calls(server)
    server.close()
    assert remaining == ["2", "1", "0"]
    assert_limited(limited, "Too many requests for this user; try again later.", "4")
    ran = {name: after[name] - before.get(name, 0) for name in after if name != "info"}
    ran = {name for name, calls in ran.items() if calls} - {"incrby", "expire"}  # the script's
    assert (ran, after["evalsha"] - before["evalsha"]) == ({"evalsha"}, 4)


def test_a_silent_redis_leaves_the_user_budget_counting_in_memory(
    another_app, make_account, silent_redis, caplog
):
    app = another_app(environ={"REDIS_URL": silent_redis}, RATE_LIMIT_API_USER="2 per minute")
    client = app.test_client()
    ann = make_account(client, "ann")
    started = time.monotonic()
    remaining = [
        client.get("/auth/me", headers=ann.headers).headers["RateLimit-Remaining"] for _ in range(2)
    ]
    limited = client.get("/auth/me", headers=ann.headers)
    seconds = time.monotonic() - started
    assert remaining == ["1", "0"]
    assert_limited(limited, "Too many requests for this user; try again later.", "2")
    assert seconds < 2  # one wait of REDIS_TIMEOUT_MS (500 ms), then memory for RETRY_SECONDS
    warnings = [r.getMessage() for r in caplog.records if r.name == "cashman.budget"]
    assert warnings == [
        "per-user rate limit storage unreachable (TimeoutError): counting in memory"
    ]


def test_off_turns_one_limit_off(another_app):
    client = another_app(RATE_LIMIT_LOGIN_USERNAME="off").test_client()
    register(client, "ann")
    for _ in range(8):
        assert_wrong_credentials(login(client, "ann", "wrong"))
    assert login(client, "ann").status_code == 200


@pytest.mark.parametrize("value", ["often", "5 per fortnight", "-1/minute", ""])
def test_a_limit_that_cannot_be_parsed_stops_the_start(value):
    with pytest.raises(ConfigError) as raised:
        ProductionConfig({"JWT_SECRET_KEY": "s" * 40, "RATE_LIMIT_API_USER": value})
    assert str(raised.value) == (
        "cashman: configuration error: RATE_LIMIT_API_USER must be like '5 per minute' or "
        f"'off', not {value!r}"
    )


def test_production_defaults():
    config = ProductionConfig({"JWT_SECRET_KEY": "s" * 40})
    assert (
        config.RATE_LIMIT_LOGIN_USERNAME,
        config.RATE_LIMIT_LOGIN_ADDRESS,
        config.RATE_LIMIT_REGISTER_ADDRESS,
        config.RATE_LIMIT_API_USER,
        config.RATELIMIT_STORAGE_URI,
    ) == ("5 per minute", "30 per minute", "10 per hour", "1200 per minute", "memory://")
    shared = ProductionConfig({"JWT_SECRET_KEY": "s" * 40, "REDIS_URL": "redis://cache:6379/1"})
    assert shared.RATELIMIT_STORAGE_URI == "redis://cache:6379/1"


def test_a_limit_hit_in_another_language_does_not_make_requests_count_twice(
    another_app, make_account
):
    """Regression: a lazy 429 message rendered in German hashed differently, and Flask-Limiter's
    set of limits then held the same limit twice, so each later request counted double."""
    client = another_app(RATE_LIMIT_API_USER="3 per minute").test_client()
    ann, bea = make_account(client, "ann"), make_account(client, "bea")
    german = {"Accept-Language": "de"}
    for _ in range(3):
        client.get("/auth/me", headers={**ann.headers, **german})
    limited = client.get("/auth/me", headers={**ann.headers, **german})
    assert limited.get_json()["detail"] == (
        "Zu viele Anfragen für diesen Benutzer; versuchen Sie es später erneut."
    )
    remaining = [
        client.get("/auth/me", headers=bea.headers).headers["RateLimit-Remaining"] for _ in range(3)
    ]
    assert remaining == ["2", "1", "0"]


@pytest.fixture
def silent_redis():
    """A TCP server that accepts connections and never answers: a hung Redis."""
    server = socket.create_server(("127.0.0.1", 0), backlog=64)
    accepted = []

    def accept_forever():
        with contextlib.suppress(OSError):  # the socket is closed at the end
            while True:
                accepted.append(server.accept()[0])

    threading.Thread(target=accept_forever, daemon=True).start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()
    for connection in accepted:
        connection.close()


def test_a_redis_that_never_answers_costs_a_bounded_wait_then_limits_count_in_memory(
    migrated_url, another_app, silent_redis, capsys
):
    """Found live: register and login hung 30 s on such a Redis, then answered 500 HTML."""
    settings = {
        "REDIS_URL": silent_redis,
        "RATE_LIMIT_LOGIN_USERNAME": "5 per minute",
        "RATE_LIMIT_REGISTER_ADDRESS": "100 per hour",
        "WEB_CONCURRENCY": "1",  # memory counts are per worker: one worker counts them all
    }
    with started_server(migrated_url, **settings) as server:
        base = server.base
        timings = []
        for name in ("ann", "bea", "cid"):
            started = time.monotonic()
            live_register(base, name)
            timings.append(time.monotonic() - started)
        for _ in range(5):
            assert_live_problem(
                live_login(base, "ann", "wrong password"),
                401,
                "Unauthorized",
                "Wrong username or password.",
            )
        # The limit still holds, counted in memory while Redis does not answer.
        assert_live_problem(
            live_login(base, "ann"),
            429,
            "Too Many Requests",
            "Too many failed logins for this username; try again later.",
        )
        # One warning for the whole outage, not one per request (3 registers and 6 logins here).
        warnings = [
            json.loads(line)
            for line in server.output().splitlines()
            if '"logger":"flask-limiter"' in line
        ]
    another_app()  # empties the tables the server wrote to
    # Bounded, not hung: before the fix the first one waited for gunicorn's 30 s worker timeout.
    # The first register pays up to two REDIS_TIMEOUT_MS waits (500 ms) and its argon2 hash; the
    # others, counted in memory, only the hash.
    with capsys.disabled():
        seconds = ", ".join(f"{t:.2f}" for t in timings)
        print(f"\n[reliability] silent Redis: registers took {seconds} s")
    assert max(timings) < 5, timings
    assert [(w["level"], w["message"]) for w in warnings] == [
        ("WARNING", "Rate limit storage unreachable - falling back to in-memory storage")
    ]
