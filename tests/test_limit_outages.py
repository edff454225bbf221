"""A Redis that fails: limits go on counting in memory, with one WARNING line per outage (no
traceback, no ERROR) for Flask-Limiter's limits and the per-user quota together."""

import contextlib
import json
import logging
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field

import pytest
import redis
from helpers import assert_problem, login
from live import assert_problem as assert_live_problem
from live import free_port, started_server
from live import login as live_login
from live import register as live_register

from cashman.resources import auth

LOCKED = "Too many failed logins for this username; try again later."
UNREACHABLE = "rate limit storage unreachable ({}): counting in memory"


@dataclass
class SilentRedis:
    """A TCP server that accepts connections and never answers: a hung Redis."""

    url: str
    accepted: list[socket.socket] = field(default_factory=list)


@pytest.fixture
def silent_redis():
    server = socket.create_server(("127.0.0.1", 0), backlog=64)
    silent = SilentRedis(f"redis://127.0.0.1:{server.getsockname()[1]}/0")

    def accept_forever():
        with contextlib.suppress(OSError):  # the socket is closed at the end
            while True:
                silent.accepted.append(server.accept()[0])

    threading.Thread(target=accept_forever, daemon=True).start()
    yield silent
    server.close()
    for connection in silent.accepted:
        connection.close()


@pytest.fixture
def own_redis():
    """A Redis of this test's own, which the test may stop."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)  # redis-server is starting: nothing to wait on but its port
    client.close()
    yield process, url
    process.terminate()
    process.wait(timeout=10)


def limit_logs(caplog) -> list[tuple[str, str, bool]]:
    """What the limits logged at WARNING or above: (level, message, with a traceback)."""
    return [
        (record.levelname, record.getMessage(), record.exc_info is not None)
        for record in caplog.records
        if record.levelno >= logging.WARNING
    ]


def test_a_silent_redis_leaves_the_limits_counting_in_memory_after_one_wait(
    another_app, make_account, silent_redis, caplog
):
    app = another_app(environ={"REDIS_URL": silent_redis.url}, RATE_LIMIT_API_USER="2 per minute")
    client = app.test_client()
    ann = make_account(client, "ann")  # the login's limit waits once for Redis (500 ms)
    remaining = [
        client.get("/auth/me", headers=ann.headers).headers["RateLimit-Remaining"] for _ in range(2)
    ]
    limited = client.get("/auth/me", headers=ann.headers)
    assert remaining == ["1", "0"]
    assert_problem(
        limited, 429, "Too Many Requests", "Too many requests for this user; try again later."
    )
    # One connection, so one wait of REDIS_TIMEOUT_MS: then memory, for RETRY_SECONDS.
    assert len(silent_redis.accepted) == 1
    assert limit_logs(caplog) == [("WARNING", UNREACHABLE.format("TimeoutError"), False)]


def test_redis_stopping_during_a_login_is_one_warning_and_the_failure_still_counts(
    another_app, make_account, own_redis, monkeypatch, caplog
):
    """Found from outside: an outage logged an ERROR with a traceback, and a failed login whose
    count Redis could not take was not counted (Flask-Limiter swallowed the error)."""
    process, url = own_redis
    app = another_app(
        testing=False,
        environ={"REDIS_URL": url},
        RATE_LIMIT_LOGIN_USERNAME="1 per minute",
        RATE_LIMIT_API_USER="5 per minute",
    )
    client = app.test_client()
    ann = make_account(client, "ann")
    checked = auth.verify_password

    def redis_stops_meanwhile(*args):
        process.terminate()
        process.wait(timeout=10)
        return checked(*args)

    monkeypatch.setattr(auth, "verify_password", redis_stops_meanwhile)
    # Its check read Redis; Redis stops before the failure is counted.
    wrong = login(client, "ann", "wrong")
    assert_problem(wrong, 401, "Unauthorized", "Wrong username or password.")
    monkeypatch.setattr(auth, "verify_password", checked)
    assert_problem(login(client, "ann"), 429, "Too Many Requests", LOCKED)
    assert client.get("/auth/me", headers=ann.headers).headers["RateLimit-Remaining"] == "4"
    assert limit_logs(caplog) == [("WARNING", UNREACHABLE.format("ConnectionError"), False)]


def test_a_redis_that_never_answers_costs_a_bounded_wait_then_limits_count_in_memory(
    migrated_url, another_app, silent_redis, capsys
):
    """Found live: register and login hung 30 s on such a Redis, then answered 500 HTML."""
    settings = {
        "REDIS_URL": silent_redis.url,
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
        assert_live_problem(live_login(base, "ann"), 429, "Too Many Requests", LOCKED)
        # One warning for the whole outage, not one per request (3 registers and 6 logins here).
        lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
        warnings = [line for line in lines if line["level"] in ("WARNING", "ERROR", "CRITICAL")]
    another_app()  # empties the tables the server wrote to
    # Bounded, not hung: before the fix the first one waited for gunicorn's 30 s worker timeout.
    # The first register pays one REDIS_TIMEOUT_MS wait (500 ms) and its argon2 hash; the others,
    # counted in memory, only the hash (0.67 s, then 0.13 s, measured): the bound is 10 times that.
    with capsys.disabled():
        seconds = ", ".join(f"{t:.2f}" for t in timings)
        print(f"\n[reliability] silent Redis: registers took {seconds} s")
    assert max(timings) < 7, timings
    assert [(w["logger"], w["level"], w["message"]) for w in warnings] == [
        ("cashman.limit_storage", "WARNING", UNREACHABLE.format("TimeoutError"))
    ]
