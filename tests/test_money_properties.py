"""Property-based money rules (hypothesis): what is accepted round-trips exactly everywhere;
what is refused is a 422 naming `amount`."""

import csv
import io
import itertools
from decimal import Decimal

from conftest import login, register
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashman.money import MAX_AMOUNT

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
CENTS = st.integers(min_value=1, max_value=int(MAX_AMOUNT * 100))
VALID = CENTS.map(lambda cents: Decimal(cents).scaleb(-2))
USERS = itertools.count()


def as_sent(amount: Decimal, style: str):
    """The same amount as a client may send it: a JSON number or a numeric string."""
    return amount if style == "number" else format(amount, "f")


@EXAMPLES
@given(
    amount=VALID,
    style=st.sampled_from(["number", "string"]),
    kind=st.sampled_from(["incomes", "expenses"]),
)
def test_an_accepted_amount_round_trips_exactly(client, amount, style, kind):
    username = f"user{next(USERS)}"  # a fresh user for each example: balances start at 0
    register(client, username)
    headers = {"Authorization": f"Bearer {login(client, username)['access_token']}"}
    expected = amount if kind == "incomes" else -amount

    created = client.post(
        f"/{kind}", json={"description": "x", "amount": as_sent(amount, style)}, headers=headers
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["amount"] == expected
    fetched = client.get(created.headers["Location"], headers=headers).get_json()
    assert fetched["amount"] == expected

    balance = client.get("/balance", headers=headers).get_json()
    side = "income" if kind == "incomes" else "expenses"
    assert balance[side] == expected and balance["balance"] == expected

    export = client.get("/transactions.csv", headers=headers).get_data(as_text=True)
    record = list(csv.DictReader(io.StringIO(export)))[0]
    assert Decimal(record["amount"]) == expected
    assert record["amount"] == format(expected.quantize(Decimal("0.01")), "f")


REFUSED = st.one_of(
    # a fraction of a cent
    st.integers(min_value=1, max_value=10**9)
    .map(lambda n: Decimal(n).scaleb(-3))
    .filter(lambda d: d != d.quantize(Decimal("0.01"))),
    # too large
    st.integers(min_value=int(MAX_AMOUNT) + 1, max_value=10**20).map(Decimal),
    st.just(Decimal(0)),
    # not numbers at all
    st.text(max_size=12).filter(lambda s: not s.strip().lstrip("+-").replace(".", "", 1).isdigit()),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)


@EXAMPLES
@given(amount=REFUSED)
def test_a_refused_amount_is_a_422_naming_amount(client, alice, amount):
    body = {"description": "x", "amount": amount}
    response = client.post("/incomes", json=body, headers=alice.headers)
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["errors"]) == ["amount"]
    assert client.get("/incomes", headers=alice.headers).headers["X-Total-Count"] == "0"
