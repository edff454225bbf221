"""The money rules, case by case: exact amounts in, exact amounts out, nothing rounded."""

from decimal import Decimal

import pytest
from helpers import PASSWORD, Account, add_row, assert_invalid_body, assert_problem, json_body
from sqlalchemy import select

from cashman.database import db
from cashman.models import Transaction

INVALID = 'Not a valid amount: send a number or a numeric string such as "12.50".'
PRECISION = "An amount has at most 2 decimal places."
ZERO = "An amount cannot be 0."
RANGE = "An amount must be at most 1000000000000 in absolute value."


def post_raw(client, account, collection, amount_json: str):
    body = f'{{"description": "x", "amount": {amount_json}}}'
    return client.post(
        f"/{collection}", data=body, content_type="application/json", headers=account.headers
    )


@pytest.mark.parametrize(
    ("amount_json", "stored_cents", "printed"),
    [
        ("5000", 500000, b"5000.00"),
        ("5000.0", 500000, b"5000.00"),
        ("0.01", 1, b"0.01"),
        ("0.1", 10, b"0.10"),
        ('"12.50"', 1250, b"12.50"),
        ('"7"', 700, b"7.00"),
        ('"+7.5"', 750, b"7.50"),
        ("1.500", 150, b"1.50"),  # trailing zeros lose nothing
        ("1e2", 10000, b"100.00"),
        ("1000000000000", 100000000000000, b"1000000000000.00"),
        ('"999999999999.99"', 99999999999999, b"999999999999.99"),
        ("123456789012.34", 12345678901234, b"123456789012.34"),
    ],
)
def test_accepted_amounts_are_stored_and_returned_exactly(
    client, app, alice, amount_json, stored_cents, printed
):
    response = post_raw(client, alice, "incomes", amount_json)
    assert response.status_code == 201, response.get_json()
    assert b'"amount":' + printed + b"," in response.data
    with app.app_context():
        assert db.session.scalar(select(Transaction.amount_minor)) == stored_cents
    listed = client.get("/incomes", headers=alice.headers)
    assert b'"amount":' + printed + b"," in listed.data


@pytest.mark.parametrize(
    ("amount_json", "message"),
    [
        ("1.005", PRECISION),
        ('"1.005"', PRECISION),
        ("0.001", PRECISION),
        ("1e-7", PRECISION),
        ('"0.1234567890123456789012345678901"', PRECISION),
        ('"1.0000000000000000000000000000000000001"', PRECISION),
        ("0", ZERO),
        ("0.0", ZERO),
        ('"0.00"', ZERO),
        ('"-0"', ZERO),
        ("1000000000000.01", RANGE),
        ("-1000000000000.01", RANGE),
        ("1e13", RANGE),
        ("1e400", RANGE),
        ("1e1000000", RANGE),  # found live: decimal.Overflow, a 500, before it was compared
        ("-1e1000000", RANGE),
        ("1e-1000000", PRECISION),
        ('"NaN"', INVALID),
        ('"Infinity"', INVALID),
        ('"-inf"', INVALID),
        ("true", INVALID),
        ("false", INVALID),
        ('""', INVALID),
        ('" 12"', INVALID),
        ('"12 "', INVALID),
        ('"1e2"', INVALID),
        ('"1,50"', INVALID),
        ('"\u0661\u0662"', INVALID),  # Arabic-Indic digits
        ('"abc"', INVALID),
        ("[]", INVALID),
        ("{}", INVALID),
        ("null", "Field may not be null."),
    ],
)
@pytest.mark.parametrize("collection", ["incomes", "expenses"])
def test_rejected_amounts_are_422_and_nothing_is_stored(
    client, app, alice, collection, amount_json, message
):
    response = post_raw(client, alice, collection, amount_json)
    assert_invalid_body(
        response,
        {"amount": [message]},
    )
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Transaction)) == 0


@pytest.mark.parametrize(
    "literal",
    # An exponent beyond what a Decimal holds: found in review, decimal.InvalidOperation, a 500.
    ["NaN", "Infinity", "-Infinity", "1e99999999999999999999", "1e-99999999999999999999"],
)
def test_non_json_number_literals_are_malformed_json(client, alice, literal):
    response = post_raw(client, alice, "incomes", literal)
    assert_problem(response, 400, "Bad Request", "The request body is not valid JSON.")


def test_missing_amount_is_named(client, alice):
    response = client.post("/incomes", json={"description": "x"}, headers=alice.headers)
    assert_invalid_body(
        response,
        {"amount": ["Missing data for required field."]},
    )


def test_every_bad_field_is_named_at_once(client, app, alice):
    response = client.post(
        "/expenses",
        json={"description": "", "amount": "1.001", "category": "c" * 65, "date": "2026-13-01"},
        headers=alice.headers,
    )
    # The decimals are the account currency's: checked once the account is known, so only
    # when every other field passed.
    assert_invalid_body(
        response,
        {
            "description": ["Length must be between 1 and 255."],
            "category": ["Length must be between 1 and 64."],
            "date": ["Not a valid date."],
        },
    )
    response = client.post(
        "/expenses",
        json={"description": "x", "amount": "1.001", "category": "c", "date": "2026-12-01"},
        headers=alice.headers,
    )
    assert_invalid_body(response, {"amount": [PRECISION]})
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Transaction)) == 0


def test_cents_add_up_exactly(client, app, alice):
    for amount in (0.1, 0.2):  # sent as the JSON numbers 0.1 and 0.2
        add_row(client, alice, amount=amount)
    with app.app_context():
        total = db.session.scalar(select(db.func.sum(Transaction.amount_minor)))
    assert total == 30
    amounts = [row["amount"] for row in client.get("/incomes", headers=alice.headers).get_json()]
    assert sum(amounts) == Decimal("0.30")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", "d" * 256, "Length must be between 1 and 255."),
        ("description", 5, "Not a valid string."),
        ("category", "", "Length must be between 1 and 64."),
        ("description", "a\x00b", "Must not contain the NUL character."),
        ("category", "food\x00", "Must not contain the NUL character."),
        ("date", "2026-02-30", "Not a valid date."),
        ("date", "23/11/2026", "Not a valid date."),
        ("date", "2026-11-23T10:00:00", "Not a valid date."),
        ("date", "20260101", "Not a valid date."),  # ISO 8601's basic format: not the contract
        ("date", "2026-W01-1", "Not a valid date."),  # a week date
        ("date", "2026-1-01", "Not a valid date."),
        ("date", 20260101, "Not a valid date."),
    ],
)
def test_other_fields_are_validated(client, alice, field, value, message):
    body = {"description": "x", "amount": 1, field: value}
    response = client.post("/incomes", json=body, headers=alice.headers)
    assert_invalid_body(
        response,
        {field: [message]},
    )


def test_field_limits_are_inclusive_after_trimming(client, alice):
    body = {"description": f"  {'d' * 255}  ", "amount": 1, "category": "c" * 64}
    response = client.post("/incomes", json=body, headers=alice.headers)
    assert response.status_code == 201
    assert response.get_json()["description"] == "d" * 255


# Minor units per currency: an amount has exactly the decimals of its account's currency.


def user_in(client, username: str, currency: str) -> Account:
    """Register a user whose default account is in `currency`, and log in."""
    body = {"username": username, "password": PASSWORD, "currency": currency}
    user_id = json_body(client.post("/auth/register", json=body), 201)["id"]
    login = {"username": username, "password": PASSWORD}
    tokens = json_body(client.post("/auth/login", json=login))
    return Account(user_id, username, tokens["access_token"], tokens["refresh_token"])


@pytest.mark.parametrize(
    ("currency", "amount_json", "stored_minor", "printed"),
    [
        ("JPY", "1000", 1000, b"1000"),
        ("JPY", '"1000"', 1000, b"1000"),
        ("JPY", "1000.000", 1000, b"1000"),  # trailing zeros lose nothing
        ("JPY", "1e3", 1000, b"1000"),
        ("JPY", "1", 1, b"1"),
        ("JPY", "1000000000000", 1000000000000, b"1000000000000"),
        ("KWD", "12.345", 12345, b"12.345"),
        ("KWD", '"12.345"', 12345, b"12.345"),
        ("KWD", "12.5", 12500, b"12.500"),
        ("KWD", "12", 12000, b"12.000"),
        ("KWD", "0.001", 1, b"0.001"),
        ("KWD", '"999999999999.999"', 999999999999999, b"999999999999.999"),
    ],
)
def test_amounts_have_exactly_the_currencys_minor_digits(
    client, app, currency, amount_json, stored_minor, printed
):
    user = user_in(client, "traveller", currency)
    response = post_raw(client, user, "incomes", amount_json)
    assert response.status_code == 201, response.get_json()
    assert b'"amount":' + printed + b"," in response.data
    me = client.get("/auth/me", headers=user.headers).get_json()
    assert response.get_json()["account_id"] == me["default_account_id"]
    assert response.get_json()["transfer_id"] is None
    with app.app_context():
        assert db.session.scalar(select(Transaction.amount_minor)) == stored_minor
    for path in ("/incomes", f"/incomes/{response.get_json()['id']}", "/transactions"):
        assert b'"amount":' + printed + b"," in client.get(path, headers=user.headers).data
    balance = client.get("/balance", headers=user.headers)
    assert balance.get_json()["currency"] == currency
    assert b'"income":' + printed + b"," in balance.data


def test_a_yen_and_a_dinar_amount_are_the_json_numbers_1000_and_12_345(client):
    for username, currency, amount, expected in (
        ("yen", "JPY", 1000, "1000"),
        ("dinar", "KWD", "12.345", "12.345"),
    ):
        user = user_in(client, username, currency)
        row = add_row(client, user, "expenses", amount=amount)
        assert row["amount"] == -Decimal(expected)
        assert str(row["amount"]) == f"-{expected}"  # exactly the currency's decimals


@pytest.mark.parametrize(
    ("currency", "amount_json", "digits"),
    [
        ("JPY", "1000.5", 0),
        ("JPY", '"0.1"', 0),
        ("JPY", "1e-1", 0),
        ("KWD", "12.3456", 3),
        ("KWD", '"0.0001"', 3),
        ("USD", "12.345", 2),
    ],
)
@pytest.mark.parametrize("collection", ["incomes", "expenses"])
def test_one_decimal_more_than_the_currency_has_is_named(
    client, app, collection, currency, amount_json, digits
):
    user = user_in(client, "traveller", currency)
    response = post_raw(client, user, collection, amount_json)
    assert_invalid_body(
        response,
        {"amount": [f"An amount has at most {digits} decimal places."]},
    )
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Transaction)) == 0
