"""The failed-login lockout holds on a real server of several workers, without Redis.

Found from outside: each gunicorn worker counted in its own memory, so up to 10 wrong passwords
got a 401 within the minute and the right password got in while "locked" in 7 of 20 trials.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from live import assert_problem, login, register

from cashman.stores.limit_counters import PURGED_PER_CALL, LimitCounterStore, clear_all_counters

WRONG_CREDENTIALS = "Wrong username or password."
LOCKED = "Too many failed logins for this username; try again later."
TRIALS = 8


@pytest.mark.parametrize("workers", ["2", "3"])
def test_the_sixth_attempt_is_refused_by_every_worker_without_redis(
    server_on_test_database, workers
):
    # The default RATE_LIMIT_LOGIN_USERNAME (5 per minute); the per-address limits are off
    # because every trial comes from 127.0.0.1.
    with server_on_test_database(WEB_CONCURRENCY=workers) as server:
        for trial in range(TRIALS):
            name = f"trial{trial}"
            register(server.base, name)
            for attempt in range(5):
                wrong = login(server.base, name, f"wrong {attempt}")
                assert_problem(wrong, 401, "Unauthorized", WRONG_CREDENTIALS)
            locked = login(server.base, name)  # the right password
            assert_problem(locked, 429, "Too Many Requests", LOCKED)
            headers = locked[1]
            assert 0 < int(headers["Retry-After"]) <= 60
            assert (headers["RateLimit-Limit"], headers["RateLimit-Remaining"]) == ("5", "0")


# The store, on the suite's engine, at times it is given (no clock).


def test_a_counter_counts_in_its_window_and_opens_a_new_one_when_it_ends(app):
    with app.app_context():
        ann = LimitCounterStore("LIMITER/cashman/ann/login:login-username/5/1/minute")
        assert (ann.count(1000.0), ann.expires_at(1000.0)) == (0, 1000.0)
        assert [ann.add(1, 60, 1000.0), ann.add(2, 60, 1030.0)] == [1, 3]
        assert (ann.count(1059.5), ann.expires_at(1059.5)) == (3, 1060.0)
        assert (ann.count(1060.0), ann.expires_at(1060.0)) == (0, 1060.0)  # ended
        assert ann.add(1, 60, 1061.0) == 1  # a new window
        assert ann.expires_at(1061.0) == 1121.0
        bea = LimitCounterStore("LIMITER/cashman/bea/login:login-username/5/1/minute")
        assert bea.count(1061.0) == 0
        ann.clear()
        assert ann.count(1061.0) == 0


def test_a_key_of_any_length_has_its_own_counter(app):
    with app.app_context():
        long, longer = LimitCounterStore("x" * 5000), LimitCounterStore("x" * 5001)
        assert (long.add(1, 60, 0.0), longer.add(1, 60, 0.0), long.add(1, 60, 0.0)) == (1, 1, 2)


def test_counting_deletes_windows_that_ended(app):
    with app.app_context():
        for n in range(PURGED_PER_CALL + 5):
            LimitCounterStore(f"guess {n}").add(1, 60, 0.0)
        live = LimitCounterStore("live")
        live.add(1, 600, 0.0)
        LimitCounterStore("later").add(1, 60, 100.0)  # deletes up to PURGED_PER_CALL
        assert clear_all_counters() == 5 + 2
        assert live.count(100.0) == 0  # cleared with the rest


def test_concurrent_counts_are_all_counted(app):
    with app.app_context():
        counter = LimitCounterStore("LIMITER/cashman/ann/login:login-username/5/1/minute")

    def count_once(_):
        with app.app_context():
            return counter.add(1, 60, 0.0)

    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(count_once, range(40)))
    assert sorted(counts) == list(range(1, 41))
