"""Rate limits: failed logins per username, logins and registrations per address, requests per
user. Every test runs at a frozen instant (time-machine), so no window turns under it."""

from datetime import UTC, datetime

import pytest
import redis
from helpers import PASSWORD, assert_problem, login, register

from cashman.limits import limiter
from config import ConfigError, ProductionConfig

TOO_MANY = "Too Many Requests"
WRONG_CREDENTIALS = "Wrong username or password."
LOCKED = "Too many failed logins for this username; try again later."
TOO_MANY_REQUESTS = "Too many requests for this user; try again later."
# 30 s into a minute: Flask-Limiter's windows open at the first hit, the per-user quota's at :00.
NOW = datetime(2026, 12, 7, 12, 0, 30, tzinfo=UTC)
EPOCH = int(NOW.timestamp())
pytestmark = pytest.mark.time_machine(NOW, tick=False)


def assert_wrong_credentials(response) -> None:
    assert_problem(response, 401, "Unauthorized", WRONG_CREDENTIALS)


# Flask-Limiter's RateLimit-Reset is the second after its window ends (a window of a minute
# opened now ends at EPOCH + 60); Retry-After counts the seconds until then.
MINUTE_RESET = EPOCH + 61


def assert_limited(response, detail: str, limit: str, reset: int, now: int = EPOCH) -> None:
    """A 429 problem, with the headers of the limit that refused it (the clock stands still)."""
    assert_problem(response, 429, TOO_MANY, detail)
    assert (response.headers["Retry-After"], response.headers["RateLimit-Reset"]) == (
        str(reset - now),
        str(reset),
    )
    assert response.headers["RateLimit-Limit"] == limit
    assert response.headers["RateLimit-Remaining"] == "0"


def test_failed_logins_lock_a_username_even_for_the_right_password(another_app):
    client = another_app(testing=False, RATE_LIMIT_LOGIN_USERNAME="3 per minute").test_client()
    register(client, "ann")
    register(client, "bea")
    for attempt in ["wrong1", "wrong2", "wrong3"]:
        response = login(client, "ANN" if attempt == "wrong2" else "ann", attempt)
        assert_wrong_credentials(response)  # any case of the name counts for it
    assert_limited(login(client, "ann"), LOCKED, "3", MINUTE_RESET)
    assert login(client, "bea").status_code == 200  # another username is not locked


def test_the_lock_survives_a_restart_and_holds_in_every_process(another_app):
    """Without Redis the counts are in the database, not in one process's memory (before, a
    restart, or the next request reaching another worker, forgot them)."""
    first = another_app(testing=False, RATE_LIMIT_LOGIN_USERNAME="2 per minute").test_client()
    register(first, "ann")
    for attempt in ["wrong1", "wrong2"]:
        assert_wrong_credentials(login(first, "ann", attempt))
    restarted = another_app(testing=False, RATE_LIMIT_LOGIN_USERNAME="2 per minute")
    assert_limited(login(restarted.test_client(), "ann"), LOCKED, "2", MINUTE_RESET)


def test_successful_logins_do_not_count_against_the_username(another_app):
    client = another_app(RATE_LIMIT_LOGIN_USERNAME="2 per minute").test_client()
    register(client, "ann")
    for _ in range(5):
        assert login(client, "ann").status_code == 200


def test_the_lock_lifts_when_the_window_passes(another_app, time_machine):
    client = another_app(RATE_LIMIT_LOGIN_USERNAME="1 per minute").test_client()
    register(client, "ann")
    time_machine.shift(10)  # the window opens with the first failure
    assert_wrong_credentials(login(client, "ann", "wrong"))
    time_machine.shift(59)
    assert_limited(login(client, "ann"), LOCKED, "1", EPOCH + 71, now=EPOCH + 69)
    time_machine.shift(1)
    assert login(client, "ann").status_code == 200


def test_logins_per_address(another_app):
    client = another_app(testing=False, RATE_LIMIT_LOGIN_ADDRESS="2 per minute").test_client()
    register(client, "ann")
    assert login(client, "ann").status_code == 200
    assert_wrong_credentials(login(client, "nobody", "x"))
    detail = "Too many logins from this address; try again later."
    assert_limited(login(client, "ann"), detail, "2", MINUTE_RESET)


def test_registrations_per_address(another_app):
    client = another_app(testing=False, RATE_LIMIT_REGISTER_ADDRESS="2 per hour").test_client()
    register(client, "ann")
    register(client, "bea")
    response = client.post("/auth/register", json={"username": "cid", "password": PASSWORD})
    assert_limited(
        response,
        "Too many accounts registered from this address; try again later.",
        "2",
        EPOCH + 3601,
    )


def test_requests_per_user_across_every_protected_route(another_app, make_account):
    client = another_app(testing=False, RATE_LIMIT_API_USER="3 per minute").test_client()
    ann, bea = make_account(client, "ann"), make_account(client, "bea")
    counted = client.get("/incomes", headers=ann.headers)
    assert counted.headers["RateLimit-Remaining"] == "2"
    assert "Retry-After" not in counted.headers  # only a 429 says when to retry
    assert client.get("/balance", headers=ann.headers).status_code == 200
    assert client.get("/auth/me", headers=ann.headers).status_code == 200
    # The quota's window is the clock's minute: it ends at 12:01:00, 30 s from now.
    assert_limited(client.get("/expenses", headers=ann.headers), TOO_MANY_REQUESTS, "3", EPOCH + 30)
    assert client.get("/incomes", headers=bea.headers).status_code == 200
    no_token = client.get("/incomes")  # refused before counting
    assert_problem(no_token, 401, "Unauthorized", "A bearer access token is required.")


def quota_headers(response) -> tuple[str, str, str]:
    return tuple(response.headers[f"RateLimit-{name}"] for name in ("Limit", "Remaining", "Reset"))


def test_the_user_quota_resets_at_the_end_of_the_clocks_minute(
    another_app, make_account, time_machine
):
    client = another_app(RATE_LIMIT_API_USER="3 per minute").test_client()
    ann = make_account(client, "ann")
    minute_end = str(EPOCH + 30)
    assert quota_headers(client.get("/incomes", headers=ann.headers)) == ("3", "2", minute_end)
    time_machine.shift(29)  # 12:00:59
    assert quota_headers(client.get("/incomes", headers=ann.headers)) == ("3", "1", minute_end)
    time_machine.shift(1)  # 12:01:00: a new window
    next_end = str(EPOCH + 90)
    assert quota_headers(client.get("/incomes", headers=ann.headers)) == ("3", "2", next_end)


def redis_calls(client: redis.Redis) -> dict[str, int]:
    """Commands the Redis server ran so far, by name (but INFO, which asks)."""
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}


def test_with_redis_each_request_spends_the_user_quota_in_one_call(
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
    assert_limited(limited, TOO_MANY_REQUESTS, "4", EPOCH + 30)
    ran = {name: after[name] - before.get(name, 0) for name in after if name != "info"}
    ran = {name for name, calls in ran.items() if calls} - {"incrby", "expire"}  # the script's
    assert (ran, after["evalsha"] - before["evalsha"]) == ({"evalsha"}, 4)


def test_with_redis_the_login_limits_count_in_redis_not_in_the_database(another_app, shared_redis):
    client = another_app(
        environ={"REDIS_URL": shared_redis}, RATE_LIMIT_LOGIN_USERNAME="1 per minute"
    ).test_client()
    register(client, "ann")
    assert_wrong_credentials(login(client, "ann", "wrong"))
    assert_limited(login(client, "ann"), LOCKED, "1", MINUTE_RESET)
    server = redis.Redis.from_url(shared_redis, socket_timeout=5)
    keys = [key.decode() for key in server.scan_iter("LIMITS:LIMITER/cashman/ann/*")]
    server.close()
    assert keys == ["LIMITS:LIMITER/cashman/ann/login:login-username/1/1/minute"]
    assert limiter.storage.get("LIMITER/cashman/ann/login:login-username/1/1/minute") == 1


def test_flask_limiter_checks_limits_only_where_they_are_declared(app):
    """Flask-Limiter's before-request hook is taken out (cashman.limits.init_limits relies on its
    private name `Limiter._check_request_limit`): this fails first if an upgrade changes it."""
    hooks = [*app.before_request_funcs.get(None, ())]
    assert [hook for hook in hooks if getattr(hook, "__self__", None) is limiter] == []


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
        config.RATELIMIT_STORAGE_OPTIONS,
    ) == (
        "5 per minute",
        "30 per minute",
        "10 per hour",
        "1200 per minute",
        "cashman://",
        {"shared": "database://"},
    )
    shared = ProductionConfig({"JWT_SECRET_KEY": "s" * 40, "REDIS_URL": "redis://cache:6379/1"})
    assert shared.RATELIMIT_STORAGE_OPTIONS["shared"] == "redis://cache:6379/1"


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
