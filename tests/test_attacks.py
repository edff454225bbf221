"""Hostile input: SQL-like and oversized values everywhere, deep and huge and ambiguous bodies,
look-alike usernames, login timing, and how passwords are stored.

The token attacks (alg none, wrong key, tampered sub, expired, revoked, refresh token as access
token, deleted user, non-numeric sub) are in test_tokens.py, algorithm confusion in test_keys.py,
and IDOR on every transaction route in test_transactions.py.
"""

import statistics
import time

import pytest
from helpers import (
    PASSWORD,
    add_row,
    assert_invalid_body,
    assert_problem,
    json_body,
    login,
    register,
)

from cashman.database import db
from cashman.models import User

SQL_LIKE = [
    "'; DROP TABLE transactions; --",
    "1 OR 1=1",
    '" OR ""="',
    "%' UNION SELECT password_hash FROM users --",
    "\\x00' /*",
    "Robert'); DELETE FROM users;--",
]


@pytest.mark.parametrize("text", SQL_LIKE)
def test_sql_like_text_is_stored_literally_and_harms_nothing(prod_client, make_account, text):
    alice = make_account(prod_client, "alice")
    created = add_row(prod_client, alice, description=text, category=text[:64])
    row = prod_client.get(f"/incomes/{created['id']}", headers=alice.headers).get_json()
    assert (row["description"], row["category"]) == (text.strip(), text[:64].strip())
    found = prod_client.get("/incomes", query_string={"q": text}, headers=alice.headers)
    assert [r["id"] for r in found.get_json()] == [row["id"]]
    by_category = prod_client.get(
        "/transactions", query_string={"category": text[:64].strip()}, headers=alice.headers
    )
    assert [r["id"] for r in by_category.get_json()] == [row["id"]]
    assert prod_client.get("/auth/me", headers=alice.headers).status_code == 200


LONG = "x" * 10_000
READS = ["/transactions", "/balance", "/summary", "/transactions.csv"]
# The error a hostile value of each parameter gets on the reads that take the parameter (the
# others ignore it). The free-text ones take any of SQL_LIKE as it is: only LONG is too long.
QUERY_ERRORS = {
    "from": (READS, "Not a valid date."),
    "to": (READS, "Not a valid date."),
    "category": (
        ["/transactions", "/balance", "/transactions.csv"],
        "Length must be between 1 and 64.",
    ),
    "q": (["/transactions", "/transactions.csv"], "Length must be between 1 and 255."),
    "type": (["/transactions", "/transactions.csv"], "Must be one of: income, expense, transfer."),
    "limit": (["/transactions"], "Not a valid integer."),
    "cursor": (["/transactions"], "Not a valid cursor: use the one from the Link header."),
    "group": (["/summary"], "Must be one of: month, category."),
    "currency": (READS, "Not an active ISO 4217 currency code in upper case, such as USD or EUR."),
    "account_id": (["/transactions", "/balance", "/transactions.csv"], "Not a valid UUID."),
}
FREE_TEXT = {"category", "q"}


def query_error(path: str, parameter: str, text: str) -> str | None:
    """The error `text` as `parameter` gets on `path`; None if the read accepts it."""
    paths, error = QUERY_ERRORS[parameter]
    if path not in paths or (parameter in FREE_TEXT and text != LONG):
        return None
    return error


@pytest.mark.parametrize("text", SQL_LIKE + [LONG])
@pytest.mark.parametrize("parameter", list(QUERY_ERRORS))
def test_hostile_query_parameters_are_a_400_or_match_nothing(
    prod_client, make_account, parameter, text
):
    alice = make_account(prod_client, "alice")
    add_row(prod_client, alice)
    for path in READS:
        query = {"group": "month", parameter: text} if path == "/summary" else {parameter: text}
        with prod_client.get(path, query_string=query, headers=alice.headers) as response:
            error = query_error(path, parameter, text)
            if error:
                assert_problem(
                    response,
                    400,
                    "Bad Request",
                    "The query has invalid parameters.",
                    {parameter: [error]},
                )
            else:
                assert response.status_code == 200, (path, response.get_data(as_text=True))
                if path == "/transactions" and parameter in ("category", "q"):
                    assert response.get_json() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", "d" * 256, "Length must be between 1 and 255."),
        ("description", "d" * 100_000, "Length must be between 1 and 255."),
        ("category", "c" * 65, "Length must be between 1 and 64."),
        ("amount", "9" * 10_000, "An amount must be at most 1000000000000 in absolute value."),
        ("date", "2026-01-01" * 1000, "Not a valid date."),
    ],
)
def test_oversized_fields_are_a_422_naming_them(prod_client, make_account, field, value, message):
    alice = make_account(prod_client, "alice")
    body = {"description": "x", "amount": 1, field: value}
    response = prod_client.post("/expenses", json=body, headers=alice.headers)
    assert_invalid_body(response, {field: [message]})


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"username": "u" * 65, "password": PASSWORD},
            {"username": ["Length must be between 3 and 64."]},
        ),
        (
            {"username": "ann", "password": "p" * 129},
            {"password": ["Length must be between 8 and 128."]},
        ),
        (
            {"username": "u" * 100_000, "password": "p" * 100_000},
            {
                "username": ["Length must be between 3 and 64."],
                "password": ["Length must be between 8 and 128."],
            },
        ),
    ],
)
def test_oversized_credentials_are_a_422(prod_client, body, errors):
    response = prod_client.post("/auth/register", json=body)
    assert_invalid_body(response, errors)


def test_a_body_nested_10000_deep_is_a_400(prod_client, make_account):
    alice = make_account(prod_client, "alice")
    body = "[" * 10_000 + "]" * 10_000
    response = prod_client.post(
        "/incomes", data=body, content_type="application/json", headers=alice.headers
    )
    assert_problem(response, 400, "Bad Request", "The JSON is nested more than 16 levels deep.")


def test_a_2_mib_body_is_a_413(prod_client, make_account):
    alice = make_account(prod_client, "alice")
    body = '{"description": "' + "x" * (2 * 1024 * 1024) + '", "amount": 1}'
    response = prod_client.post(
        "/incomes", data=body, content_type="application/json", headers=alice.headers
    )
    assert_problem(response, 413, "Content Too Large", "The request body is larger than 1 MiB.")


def test_a_body_with_a_duplicate_key_is_refused_not_guessed(prod_client, make_account):
    alice = make_account(prod_client, "alice")
    body = '{"description": "x", "amount": 1, "amount": 1000}'
    response = prod_client.post(
        "/incomes", data=body, content_type="application/json", headers=alice.headers
    )
    assert_problem(response, 400, "Bad Request", "The request body is not valid JSON.")
    assert prod_client.get("/incomes", headers=alice.headers).get_json() == []


@pytest.mark.parametrize("other", ["ALICE", "Alice", "aLiCe"])
def test_usernames_differing_only_by_case_are_one_account(prod_client, other):
    register(prod_client, "alice")
    response = prod_client.post("/auth/register", json={"username": other, "password": PASSWORD})
    assert_problem(
        response,
        409,
        "Conflict",
        "The username is already taken.",
        {"username": ["This username is taken."]},
    )
    json_body(login(prod_client, other))  # the same account, whatever the case


@pytest.mark.parametrize(
    "lookalike",
    ["\u0430lice", "alic\u0435", "\uff41lice", "al\u0131ce", "alice\u200b", "ali\u0107e"],
    ids=["cyrillic-a", "cyrillic-e", "fullwidth-a", "dotless-i", "zero-width", "accent"],
)
def test_unicode_lookalikes_of_a_username_are_refused(prod_client, lookalike):
    register(prod_client, "alice")
    response = prod_client.post(
        "/auth/register", json={"username": lookalike, "password": PASSWORD}
    )
    assert_invalid_body(response, {"username": ["Use only letters, digits, '_', '.' and '-'."]})


def median_login_seconds(client, username: str, attempts: int = 20) -> float:
    timings = []
    for _ in range(attempts):
        start = time.perf_counter()
        response = login(client, username, "wrong!")
        timings.append(time.perf_counter() - start)
        assert_problem(response, 401, "Unauthorized", "Wrong username or password.")
    return statistics.median(timings)


def test_an_unknown_user_takes_as_long_as_a_wrong_password(another_app, capsys):
    """No user enumeration by timing: both paths verify one argon2id hash of the same cost."""
    app = another_app(ARGON2_TIME_COST=2, ARGON2_MEMORY_KIB=19 * 1024, ARGON2_PARALLELISM=1)
    client = app.test_client()
    register(client, "alice")
    median_login_seconds(client, "alice", 3)  # warm up
    known = median_login_seconds(client, "alice")
    unknown = median_login_seconds(client, "nobody-by-this-name")
    difference = abs(known - unknown) / max(known, unknown)
    with capsys.disabled():
        print(
            f"\nlogin timing, median of 20: wrong password {known * 1000:.1f} ms, "
            f"unknown user {unknown * 1000:.1f} ms, difference {difference:.0%}"
        )
    assert difference < 0.30


def test_passwords_are_stored_as_argon2id_at_the_configured_cost(app, client):
    register(client, "alice")
    with app.app_context():
        stored = db.session.scalar(db.select(User.password_hash))
        row = db.session.execute(db.text("SELECT * FROM users")).one()
    config = app.config
    assert stored.startswith(
        f"$argon2id$v=19$m={config['ARGON2_MEMORY_KIB']},t={config['ARGON2_TIME_COST']},"
        f"p={config['ARGON2_PARALLELISM']}$"
    )
    assert all(PASSWORD not in str(value) for value in row)


def test_production_hashes_at_rfc_9106_cost():
    from config import ProductionConfig

    config = ProductionConfig({"JWT_SECRET_KEY": "s" * 40})
    assert (config.ARGON2_TIME_COST, config.ARGON2_MEMORY_KIB, config.ARGON2_PARALLELISM) == (
        3,
        64 * 1024,
        4,
    )
