"""Balance and summaries: exact sums by the database, filters, order, and running totals."""

import random
from decimal import Decimal

import pytest
from helpers import PASSWORD, Account, add_row, assert_problem, json_body

CURRENCY = "USD"  # the default account's (DEFAULT_CURRENCY): totals are in one currency
NOT_A_CURRENCY = "Not an active ISO 4217 currency code in upper case, such as USD or EUR."
ZERO = {"currency": CURRENCY, "income": 0, "expenses": 0, "balance": 0, "count": 0}


def get_json(client, account, url):
    response = client.get(url, headers=account.headers)
    assert response.status_code == 200, response.get_json()
    assert response.headers["Content-Type"] == "application/json"
    return response.get_json()


TUTORIAL = [
    ("incomes", dict(description="Salary", amount=5000, category="work", date="2026-10-01")),
    ("incomes", dict(description="Dividends", amount=200, date="2026-11-05")),
    ("expenses", dict(description="pizza", amount=50, category="food", date="2026-10-20")),
    ("expenses", dict(description="Rock Concert", amount=100, category="fun", date="2026-11-11")),
]


@pytest.fixture
def tutorial(client, alice):
    """The tutorial's rows, dated over two months with categories."""
    for collection, fields in TUTORIAL:
        add_row(client, alice, collection, **fields)


def test_balance_of_the_tutorial(client, alice, tutorial):
    response = client.get("/balance", headers=alice.headers)
    assert response.status_code == 200
    assert response.data == (
        b'{"currency":"USD","income":5200.00,"expenses":-150.00,"balance":5050.00,"count":4}\n'
    )


def test_balance_with_no_rows_is_all_zero(client, alice):
    assert get_json(client, alice, "/balance") == ZERO
    assert get_json(client, alice, "/balance?from=2026-01-01") == ZERO


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "from=2026-11-01",
            {"currency": CURRENCY, "income": 200, "expenses": -100, "balance": 100, "count": 2},
        ),
        (
            "to=2026-10-20",
            {"currency": CURRENCY, "income": 5000, "expenses": -50, "balance": 4950, "count": 2},
        ),
        (
            "from=2026-10-02&to=2026-11-05",
            {"currency": CURRENCY, "income": 200, "expenses": -50, "balance": 150, "count": 2},
        ),
        (
            "category=food",
            {"currency": CURRENCY, "income": 0, "expenses": -50, "balance": -50, "count": 1},
        ),
        (
            "category=work&to=2026-10-01",
            {"currency": CURRENCY, "income": 5000, "expenses": 0, "balance": 5000, "count": 1},
        ),
        ("category=none", ZERO),
    ],
)
def test_balance_honours_from_to_and_category(client, alice, tutorial, query, expected):
    assert get_json(client, alice, f"/balance?{query}") == expected


def test_sums_are_exact_at_any_size(client, alice):
    add_row(client, alice, "incomes", amount="0.1")
    add_row(client, alice, "incomes", amount="0.2")
    assert get_json(client, alice, "/balance")["income"] == Decimal("0.30")
    add_row(client, alice, "incomes", amount="999999999999.99")
    add_row(client, alice, "incomes", amount="999999999999.99")
    add_row(client, alice, "expenses", amount="0.01")
    response = client.get("/balance", headers=alice.headers)
    assert response.data == (
        b'{"currency":"USD","income":2000000000000.28,"expenses":-0.01,'
        b'"balance":2000000000000.27,"count":5}\n'
    )
    filtered = client.get("/balance?from=2000-01-01", headers=alice.headers)  # summed row by row
    assert filtered.data == response.data


def test_summary_by_month(client, alice, tutorial):
    assert get_json(client, alice, "/summary?group=month") == [
        {
            "key": "2026-10",
            "currency": CURRENCY,
            "income": 5000,
            "expenses": -50,
            "balance": 4950,
            "count": 2,
        },
        {
            "key": "2026-11",
            "currency": CURRENCY,
            "income": 200,
            "expenses": -100,
            "balance": 100,
            "count": 2,
        },
    ]


def test_summary_by_month_spans_years_in_time_order(client, alice):
    for day in ["2027-01-31", "2026-12-01", "2026-12-31", "2025-02-28", "1999-09-09"]:
        add_row(client, alice, "expenses", amount=1, date=day)
    keys = [group["key"] for group in get_json(client, alice, "/summary?group=month")]
    assert keys == ["1999-09", "2025-02", "2026-12", "2027-01"]


def test_summary_by_category_orders_by_code_point_with_none_last(client, alice, tutorial):
    add_row(client, alice, "expenses", amount="0.5", category="Zoo")
    add_row(client, alice, "expenses", amount="0.25", category="Étude")
    assert get_json(client, alice, "/summary?group=category") == [
        {
            "key": "Zoo",
            "currency": CURRENCY,
            "income": 0,
            "expenses": -0.5,
            "balance": -0.5,
            "count": 1,
        },
        {
            "key": "food",
            "currency": CURRENCY,
            "income": 0,
            "expenses": -50,
            "balance": -50,
            "count": 1,
        },
        {
            "key": "fun",
            "currency": CURRENCY,
            "income": 0,
            "expenses": -100,
            "balance": -100,
            "count": 1,
        },
        {
            "key": "work",
            "currency": CURRENCY,
            "income": 5000,
            "expenses": 0,
            "balance": 5000,
            "count": 1,
        },
        {
            "key": "Étude",
            "currency": CURRENCY,
            "income": 0,
            "expenses": -0.25,
            "balance": -0.25,
            "count": 1,
        },
        {
            "key": None,
            "currency": CURRENCY,
            "income": 200,
            "expenses": 0,
            "balance": 200,
            "count": 1,
        },
    ]


def test_summary_honours_from_and_to(client, alice, tutorial):
    assert get_json(client, alice, "/summary?group=category&from=2026-11-01&to=2026-11-30") == [
        {
            "key": "fun",
            "currency": CURRENCY,
            "income": 0,
            "expenses": -100,
            "balance": -100,
            "count": 1,
        },
        {
            "key": None,
            "currency": CURRENCY,
            "income": 200,
            "expenses": 0,
            "balance": 200,
            "count": 1,
        },
    ]
    assert get_json(client, alice, "/summary?group=month&to=2026-10-31") == [
        {
            "key": "2026-10",
            "currency": CURRENCY,
            "income": 5000,
            "expenses": -50,
            "balance": 4950,
            "count": 2,
        },
    ]
    assert get_json(client, alice, "/summary?group=month&from=2030-01-01") == []


def test_summary_amounts_print_two_decimals(client, alice):
    add_row(client, alice, "incomes", amount=3, date="2026-01-01")
    response = client.get("/summary?group=month", headers=alice.headers)
    assert response.data == (
        b'[{"key":"2026-01","currency":"USD","income":3.00,"expenses":0.00,"balance":3.00,'
        b'"count":1}]\n'
    )


@pytest.mark.parametrize(
    ("url", "errors"),
    [
        ("/summary", {"group": ["Missing data for required field."]}),
        ("/summary?group=year", {"group": ["Must be one of: month, category."]}),
        ("/summary?group=", {"group": ["Must be one of: month, category."]}),
        ("/summary?group=month&from=2026-02-31", {"from": ["Not a valid date."]}),
        (
            "/summary?group=month&from=2026-02-02&to=2026-02-01",
            {"from": ["Must not be after 'to'."]},
        ),
        ("/balance?from=x&to=y", {"from": ["Not a valid date."], "to": ["Not a valid date."]}),
        ("/balance?to=2026-01-01&from=2026-01-02", {"from": ["Must not be after 'to'."]}),
        ("/balance?category=", {"category": ["Length must be between 1 and 64."]}),
        ("/balance?currency=usd", {"currency": [NOT_A_CURRENCY]}),  # ISO writes upper case
        ("/balance?currency=DEM", {"currency": [NOT_A_CURRENCY]}),  # no longer legal tender
        ("/summary?group=month&currency=EURO", {"currency": [NOT_A_CURRENCY]}),
    ],
)
def test_bad_parameters_are_a_400_naming_them(prod_client, make_account, url, errors):
    alice = make_account(prod_client, "alice")
    response = prod_client.get(url, headers=alice.headers)
    assert_problem(response, 400, "Bad Request", "The query has invalid parameters.", errors)


def test_insights_only_count_ones_own_rows(client, alice, bob, tutorial):
    assert get_json(client, bob, "/balance") == ZERO
    assert get_json(client, bob, "/balance?category=food") == ZERO
    assert get_json(client, bob, "/summary?group=month") == []
    add_row(client, bob, "expenses", amount=7, category="food", date="2026-10-02")
    assert get_json(client, alice, "/balance?category=food")["count"] == 1
    assert get_json(client, bob, "/balance") == {
        "currency": CURRENCY,
        "income": 0,
        "expenses": -7,
        "balance": -7,
        "count": 1,
    }


def test_running_totals_follow_every_create_change_and_delete(client, alice, bob):
    """The constant-time totals (no filter) always equal the sums over the rows (a filter)."""
    rng = random.Random(7)
    rows = []
    for step in range(60):
        action = rng.choice(["add", "add", "patch", "delete"]) if rows else "add"
        if action == "add":
            collection = rng.choice(["incomes", "expenses"])
            amount = f"{rng.randint(1, 10**6)}.{rng.randint(0, 99):02d}"
            rows.append((collection, add_row(client, alice, collection, amount=amount)["id"]))
        elif action == "patch":
            collection, row_id = rng.choice(rows)
            body = {"amount": rng.randint(1, 999), "description": f"step {step}"}
            response = client.patch(f"/{collection}/{row_id}", json=body, headers=alice.headers)
            assert response.status_code == 200
        else:
            collection, row_id = rows.pop(rng.randrange(len(rows)))
            assert (
                client.delete(f"/{collection}/{row_id}", headers=alice.headers).status_code == 204
            )
        kept = get_json(client, alice, "/balance")
        summed = get_json(client, alice, "/balance?from=0001-01-01")
        assert kept == summed
        assert kept["count"] == len(rows)
        for collection in ["incomes", "expenses", "transactions"]:
            unfiltered = client.get(f"/{collection}", headers=alice.headers)
            filtered = client.get(f"/{collection}?from=0001-01-01", headers=alice.headers)
            assert unfiltered.headers["X-Total-Count"] == filtered.headers["X-Total-Count"]
    assert get_json(client, bob, "/balance") == ZERO


def test_totals_are_in_one_currency_and_another_without_an_account_is_zeros(
    client, alice, tutorial
):
    assert get_json(client, alice, "/balance?currency=USD") == get_json(client, alice, "/balance")
    assert get_json(client, alice, "/balance?currency=EUR") == {**ZERO, "currency": "EUR"}
    assert get_json(client, alice, "/summary?group=month&currency=EUR") == []
    assert get_json(client, alice, "/summary?group=month&currency=USD") == get_json(
        client, alice, "/summary?group=month"
    )


def test_totals_are_in_the_default_accounts_currency_with_its_digits(client):
    body = {"username": "traveller", "password": PASSWORD, "currency": "KWD"}
    json_body(client.post("/auth/register", json=body), 201)
    login = {"username": "traveller", "password": PASSWORD}
    tokens = json_body(client.post("/auth/login", json=login))
    user = Account("", "traveller", tokens["access_token"], tokens["refresh_token"])
    add_row(client, user, "incomes", amount="12.345", date="2026-01-01")
    add_row(client, user, "expenses", amount="0.005", date="2026-01-02")
    response = client.get("/balance", headers=user.headers)
    assert response.data == (
        b'{"currency":"KWD","income":12.345,"expenses":-0.005,"balance":12.340,"count":2}\n'
    )
    response = client.get("/summary?group=month", headers=user.headers)
    assert response.data == (
        b'[{"key":"2026-01","currency":"KWD","income":12.345,"expenses":-0.005,'
        b'"balance":12.340,"count":2}]\n'
    )
    assert get_json(client, user, "/balance?currency=USD") == {**ZERO, "currency": "USD"}
