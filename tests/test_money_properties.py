"""Property-based money rules (hypothesis): what is accepted round-trips exactly everywhere;
what is refused is a 422 naming `amount` and why."""

import csv
import io
import itertools
from decimal import Decimal

from helpers import PASSWORD, Account, assert_invalid_body, json_body
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashman.currencies import minor_digits
from cashman.money import MAX_AMOUNT

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
CENTS = st.integers(min_value=1, max_value=int(MAX_AMOUNT * 100))
VALID = CENTS.map(lambda cents: Decimal(cents).scaleb(-2))
USERS = itertools.count()
# Currencies with 2, 0 and 3 minor digits (Babel's data): an amount has exactly its currency's.
CURRENCIES = ["USD", "EUR", "JPY", "KWD"]


@st.composite
def priced(draw) -> tuple[str, Decimal]:
    """A currency and a valid amount in it, with at most its minor digits."""
    currency = draw(st.sampled_from(CURRENCIES))
    digits = minor_digits(currency)
    minor = draw(st.integers(min_value=1, max_value=int(MAX_AMOUNT.scaleb(digits))))
    return currency, Decimal(minor).scaleb(-digits)


def user_in(client, username: str, currency: str) -> Account:
    """Register a user whose default account is in `currency`, and log in."""
    body = {"username": username, "password": PASSWORD, "currency": currency}
    user_id = json_body(client.post("/auth/register", json=body), 201)["id"]
    login = {"username": username, "password": PASSWORD}
    tokens = json_body(client.post("/auth/login", json=login))
    return Account(user_id, username, tokens["access_token"], tokens["refresh_token"])


def as_sent(amount: Decimal, style: str):
    """The same amount as a client may send it: a JSON number or a numeric string."""
    return amount if style == "number" else format(amount, "f")


@EXAMPLES
@given(
    amount=VALID,
    style=st.sampled_from(["number", "string"]),
    kind=st.sampled_from(["incomes", "expenses"]),
)
def test_an_accepted_amount_round_trips_exactly(client, make_account, amount, style, kind):
    user = make_account(client, f"user{next(USERS)}")  # one per example: balances start at 0
    expected = amount if kind == "incomes" else -amount

    created = client.post(
        f"/{kind}",
        json={"description": "x", "amount": as_sent(amount, style)},
        headers=user.headers,
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["amount"] == expected
    fetched = client.get(created.headers["Location"], headers=user.headers).get_json()
    assert fetched["amount"] == expected

    balance = client.get("/balance", headers=user.headers).get_json()
    side = "income" if kind == "incomes" else "expenses"
    assert balance[side] == expected and balance["balance"] == expected

    export = client.get("/transactions.csv", headers=user.headers).get_data(as_text=True)
    record = list(csv.DictReader(io.StringIO(export)))[0]
    assert Decimal(record["amount"]) == expected
    assert record["amount"] == format(expected.quantize(Decimal("0.01")), "f")


def refused(amounts, message: str):
    """(amount, the message refusing it) for each of `amounts`."""
    return amounts.map(lambda amount: (amount, message))


NOT_A_NUMBER = 'Not a valid amount: send a number or a numeric string such as "12.50".'
REFUSED = st.one_of(
    refused(
        st.integers(min_value=1, max_value=10**9)
        .map(lambda n: Decimal(n).scaleb(-3))
        .filter(lambda d: d != d.quantize(Decimal("0.01"))),
        "An amount has at most 2 decimal places.",
    ),
    refused(
        st.integers(min_value=int(MAX_AMOUNT) + 1, max_value=10**20).map(Decimal),
        "An amount must be at most 1000000000000 in absolute value.",
    ),
    refused(st.just(Decimal(0)), "An amount cannot be 0."),
    refused(
        st.text(max_size=12).filter(
            lambda s: not s.strip().lstrip("+-").replace(".", "", 1).isdigit()
        ),
        NOT_A_NUMBER,
    ),
    refused(st.booleans(), NOT_A_NUMBER),
    refused(st.lists(st.integers(), max_size=2), NOT_A_NUMBER),
)


@EXAMPLES
@given(refusal=REFUSED)
def test_a_refused_amount_is_a_422_naming_amount(client, alice, refusal):
    amount, message = refusal
    body = {"description": "x", "amount": amount}
    response = client.post("/incomes", json=body, headers=alice.headers)
    assert_invalid_body(response, {"amount": [message]})
    assert client.get("/incomes", headers=alice.headers).headers["X-Total-Count"] == "0"


@EXAMPLES
@given(
    priced=priced(),
    style=st.sampled_from(["number", "string"]),
    kind=st.sampled_from(["incomes", "expenses"]),
)
def test_an_amount_round_trips_with_exactly_its_currencys_decimals(client, priced, style, kind):
    currency, amount = priced
    user = user_in(client, f"traveller{next(USERS)}", currency)
    expected = amount if kind == "incomes" else -amount
    written = format(expected.quantize(Decimal(1).scaleb(-minor_digits(currency))), "f")

    created = client.post(
        f"/{kind}",
        json={"description": "x", "amount": as_sent(amount, style)},
        headers=user.headers,
    )
    assert created.status_code == 201, created.get_json()
    assert f'"amount":{written},'.encode() in created.data
    fetched = client.get(created.headers["Location"], headers=user.headers)
    assert f'"amount":{written},'.encode() in fetched.data

    balance = client.get("/balance", headers=user.headers)
    assert balance.get_json()["currency"] == currency
    assert f'"balance":{written},'.encode() in balance.data

    export = client.get("/transactions.csv", headers=user.headers).get_data(as_text=True)
    record = list(csv.DictReader(io.StringIO(export)))[0]
    assert record["amount"] == written
