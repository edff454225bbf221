"""Scale-out: two real gunicorn instances on two ports sharing one PostgreSQL and one Redis.

Runs in the suite's PostgreSQL pass (--database-url postgresql+psycopg://..., as .ci/run does),
with this machine's Redis at 127.0.0.1:6379 (database 15, emptied of Cashman's keys first).
"""

import pytest
from live import add_row, assert_problem, json_body, login, register, request, running_server

WRONG_CREDENTIALS = "Wrong username or password."
LOCKED = "Too many failed logins for this username; try again later."
REUSED = "The refresh token was already used: the session is revoked."


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


def test_tokens_rows_and_logouts_hold_across_instances(two_instances):
    a, b = two_instances
    register(a, "ann")
    token = json_body(login(a, "ann"))["access_token"]

    assert request(b, "GET", "/auth/me", token=token)[2]["username"] == "ann"
    created = add_row(a, token, description="Salary", amount="5000.01")
    status, headers, listed = request(b, "GET", "/incomes", token=token)
    assert (status, headers["X-Total-Count"], listed) == (200, "1", [created])

    assert request(a, "POST", "/auth/logout", token=token)[0] == 204
    revoked = request(b, "GET", "/incomes", token=token)
    assert_problem(revoked, 401, "Unauthorized", "The token has been revoked.")


def test_a_session_signed_out_or_a_token_reused_on_one_instance_is_refused_by_the_other(
    two_instances,
):
    a, b = two_instances
    register(a, "ann")
    phone, tablet, laptop = (json_body(login(a, "ann")) for _ in range(3))
    path = f"/auth/sessions/{phone['session_id']}"
    assert request(a, "DELETE", path, token=tablet["access_token"])[0] == 204
    for token, method, path in [
        (phone["access_token"], "GET", "/incomes"),
        (phone["refresh_token"], "POST", "/auth/refresh"),
    ]:
        refused = request(b, method, path, token=token)
        assert_problem(refused, 401, "Unauthorized", "The token has been revoked.")
    # A refresh token rotated twice on one instance, then replayed on the other: past the one
    # just replaced (which the grace window would answer again), so no wait for the window to
    # pass. The whole session is revoked everywhere.
    once = json_body(request(a, "POST", "/auth/refresh", token=laptop["refresh_token"]))
    rotated = json_body(request(a, "POST", "/auth/refresh", token=once["refresh_token"]))
    reused = request(b, "POST", "/auth/refresh", token=laptop["refresh_token"])
    assert_problem(reused, 401, "Unauthorized", REUSED)
    refused = request(a, "GET", "/incomes", token=rotated["access_token"])
    assert_problem(refused, 401, "Unauthorized", "The token has been revoked.")
    assert request(b, "GET", "/incomes", token=tablet["access_token"])[0] == 200


def test_the_login_limit_counts_attempts_on_every_instance(two_instances):
    a, b = two_instances
    register(a, "ann")
    assert_problem(login(a, "ann", "wrong 1"), 401, "Unauthorized", WRONG_CREDENTIALS)
    assert_problem(login(b, "ann", "wrong 2"), 401, "Unauthorized", WRONG_CREDENTIALS)
    assert_problem(login(a, "ann", "wrong 3"), 401, "Unauthorized", WRONG_CREDENTIALS)
    # The right password, but the username is locked everywhere.
    assert_problem(login(b, "ann"), 429, "Too Many Requests", LOCKED)
    assert_problem(login(a, "ann"), 429, "Too Many Requests", LOCKED)
