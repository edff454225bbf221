"""Transfers: money moved between two of a user's accounts as two legs, never income or spending.

The contract is issue 25's: the transfer object, its field errors (each naming its field), its
legs in /transactions and /sync, balances that move exactly, totals that ignore transfers and
never mix currencies, paging, retries (a client's id, Idempotency-Key), preconditions, other
users' ids, and concurrent transfers between two accounts against the real server.
"""

import re
import threading
from datetime import UTC, datetime
from decimal import Decimal as D

import live
import pytest
from helpers import (
    NOT_FOUND,
    SOME_ID,
    add_row,
    assert_invalid_body,
    assert_problem,
    assert_public_id,
    assert_timestamp,
    json_body,
)
from test_listing import next_url

ETAG = re.compile(r'"[0-9a-f]{32}"')
KEYS = {
    "id",
    "from_account_id",
    "to_account_id",
    "amount",
    "to_amount",
    "description",
    "date",
    "version",
    "created_at",
    "updated_at",
}
ABSENT = "The account does not exist."
ARCHIVED = "The account is archived."
NOT_A_CURRENCY = "Not an active ISO 4217 currency code in upper case, such as USD or EUR."
CHANGED = "The transfer has changed: If-Match does not match its ETag."
NEW_ID = "0192f1f4-7d3a-7cc0-8a4e-aaaaaaaaaaaa"
REQUIRED_ACROSS = "Required when the accounts' currencies differ."
EQUAL_IN_ONE = "In one currency, to_amount equals amount."
POSITIVE = "A transfer's amount must be positive."


# Helpers


def main_id(client, who) -> str:
    """The user's default account (`Main`, USD)."""
    return json_body(client.get("/auth/me", headers=who.headers))["default_account_id"]


def open_account(client, who, name, currency="USD", **fields) -> str:
    body = {"name": name, "kind": "savings", "currency": currency, **fields}
    return json_body(client.post("/accounts", json=body, headers=who.headers), 201)["id"]


def balance(client, who, account_id) -> D:
    return json_body(client.get(f"/accounts/{account_id}", headers=who.headers))["balance"]


def post(client, who, headers=None, **body):
    return client.post("/transfers", json=body, headers={**who.headers, **(headers or {})})


def transfer(client, who, **body) -> dict:
    return json_body(post(client, who, **body), 201)


def legs(client, who) -> list[dict]:
    """Every transfer leg of the user, by version."""
    rows = json_body(client.get("/transactions?type=transfer&limit=500", headers=who.headers))
    return sorted(rows, key=lambda row: row["version"])


def total(client, who, path) -> int:
    return int(client.get(path, headers=who.headers).headers["X-Total-Count"])


def knowledge(client, who) -> int:
    return json_body(client.get("/sync", headers=who.headers))["server_knowledge"]


@pytest.fixture
def usd(client, alice):
    """Alice's Main (USD, the default) and Savings (USD): their ids."""
    return main_id(client, alice), open_account(client, alice, "Savings")


# Create


def test_create_answers_the_transfer_with_its_location_and_etag(client, alice, usd):
    main, savings = usd  # versions 1 and 2
    body = {"from_account_id": main, "to_account_id": savings, "amount": "12.5"}
    response = post(client, alice, **body, description="  Rainy day  ", date="2026-11-05")
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    created = response.get_json()
    assert set(created) == KEYS
    assert_public_id(created["id"])
    assert response.headers["Location"] == f"/transfers/{created['id']}"
    assert ETAG.fullmatch(response.headers["ETag"])
    assert_timestamp(created["created_at"])
    assert created == {
        **body,
        "id": created["id"],
        "amount": D("12.50"),
        "to_amount": D("12.50"),
        "description": "Rainy day",
        "date": "2026-11-05",
        "version": 4,  # its legs took 3 and 4
        "created_at": created["created_at"],
        "updated_at": created["created_at"],
    }
    assert b'"amount":12.50,"to_amount":12.50' in response.data
    got = client.get(response.headers["Location"], headers=alice.headers)
    assert json_body(got) == created
    assert got.headers["ETag"] == response.headers["ETag"]


def test_description_date_and_to_amount_have_defaults(client, alice, usd):
    main, savings = usd
    created = transfer(client, alice, from_account_id=main, to_account_id=savings, amount=3)
    assert created["description"] == "Transfer"
    assert created["date"] == datetime.now(UTC).date().isoformat()
    assert created["to_amount"] == created["amount"] == 3


def test_same_currency_to_amount_equal_to_amount_is_taken(client, alice, usd):
    main, savings = usd
    body = {"from_account_id": main, "to_account_id": savings}
    created = transfer(client, alice, **body, amount="7.10", to_amount="7.1")
    assert (created["amount"], created["to_amount"]) == (D("7.10"), D("7.10"))


def test_across_currencies_the_destination_receives_to_amount(client, alice):
    euro = open_account(client, alice, "Euro", "EUR", opening_balance=100)
    main = main_id(client, alice)
    created = transfer(
        client, alice, from_account_id=euro, to_account_id=main, amount=10, to_amount="11.37"
    )
    assert (created["amount"], created["to_amount"]) == (10, D("11.37"))
    assert (balance(client, alice, euro), balance(client, alice, main)) == (90, D("11.37"))


@pytest.mark.parametrize(
    ("currencies", "fields", "errors"),
    [
        (("USD", "USD"), {"amount": 5, "to_amount": "5.01"}, {"to_amount": [EQUAL_IN_ONE]}),
        (("EUR", "USD"), {"amount": 5}, {"to_amount": [REQUIRED_ACROSS]}),
        (("USD", "USD"), {"amount": 0}, {"amount": ["An amount cannot be 0."]}),
        (("USD", "USD"), {"amount": "-5"}, {"amount": [POSITIVE]}),
        (("EUR", "USD"), {"amount": 5, "to_amount": 0}, {"to_amount": ["An amount cannot be 0."]}),
        (("EUR", "USD"), {"amount": 5, "to_amount": -5}, {"to_amount": [POSITIVE]}),
        (("USD", "USD"), {}, {"amount": ["Missing data for required field."]}),
        (
            ("USD", "USD"),
            {"amount": "1.005"},
            {"amount": ["An amount has at most 2 decimal places."]},
        ),
        (("USD", "USD"), {"amount": 1, "colour": "red"}, {"colour": ["Unknown field."]}),
        (
            ("USD", "USD"),
            {"amount": 1, "description": "  "},
            {"description": ["Length must be between 1 and 255."]},
        ),
        (("USD", "USD"), {"amount": 1, "date": "2026-02-30"}, {"date": ["Not a valid date."]}),
    ],
    ids=[
        "same-currency-other-to_amount",
        "other-currency-no-to_amount",
        "zero",
        "negative",
        "zero-to_amount",
        "negative-to_amount",
        "no-amount",
        "same-currency-too-many-decimals",
        "unknown-field",
        "blank-description",
        "bad-date",
    ],
)
def test_a_wrong_field_is_a_422_naming_it_and_writes_nothing(
    client, alice, currencies, fields, errors
):
    source, destination = (
        open_account(client, alice, f"{currency} {n}", currency)
        for n, currency in enumerate(currencies)
    )
    response = post(client, alice, from_account_id=source, to_account_id=destination, **fields)
    assert_invalid_body(response, errors)
    assert total(client, alice, "/transfers") == 0
    assert legs(client, alice) == []


@pytest.mark.parametrize(
    ("currency", "amount", "places"), [("JPY", "1.5", 0), ("KWD", "1.2345", 3), ("EUR", "1.001", 2)]
)
@pytest.mark.parametrize("field", ["amount", "to_amount"])
def test_more_decimals_than_the_currency_has_names_the_field(
    client, alice, currency, amount, places, field
):
    other = open_account(client, alice, "Other", currency)
    main = main_id(client, alice)
    if field == "amount":
        body = {"from_account_id": other, "to_account_id": main, "amount": amount, "to_amount": 1}
    else:
        body = {"from_account_id": main, "to_account_id": other, "amount": 1, "to_amount": amount}
    assert_invalid_body(
        post(client, alice, **body), {field: [f"An amount has at most {places} decimal places."]}
    )
    assert total(client, alice, "/transfers") == 0


def test_whole_yen_and_three_decimal_dinars_are_exact(client, alice):
    yen = open_account(client, alice, "Yen", "JPY", opening_balance=10000)
    dinar = open_account(client, alice, "Dinar", "KWD")
    response = post(
        client, alice, from_account_id=yen, to_account_id=dinar, amount=1000, to_amount="9.875"
    )
    assert b'"amount":1000,"to_amount":9.875' in response.data
    assert (balance(client, alice, yen), balance(client, alice, dinar)) == (9000, D("9.875"))


def account_of(case, client, alice, bob):
    """The account id a case names: an archived one, an absent one, Bob's."""
    if case == "archived":
        return open_account(client, alice, "Old", archived=True)
    if case == "absent":
        return SOME_ID
    return main_id(client, bob)


@pytest.mark.parametrize(
    ("case", "message"),
    [("archived", ARCHIVED), ("absent", ABSENT), ("bobs", ABSENT)],
)
@pytest.mark.parametrize("field", ["from_account_id", "to_account_id"])
def test_a_wrong_account_is_a_422_naming_the_field_that_gave_it(
    client, alice, bob, usd, case, message, field
):
    main, savings = usd
    body = {"from_account_id": main, "to_account_id": savings, "amount": 1}
    body[field] = account_of(case, client, alice, bob)
    assert_invalid_body(post(client, alice, **body), {field: [message]})
    assert total(client, alice, "/transfers") == 0
    assert (balance(client, alice, main), balance(client, alice, savings)) == (0, 0)
    assert balance(client, bob, main_id(client, bob)) == 0


def test_the_same_account_twice_names_to_account_id(client, alice, usd):
    main, _ = usd
    response = post(client, alice, from_account_id=main, to_account_id=main, amount=1)
    assert_invalid_body(response, {"to_account_id": ["A transfer goes to another account."]})
    assert total(client, alice, "/transfers") == 0


def test_both_accounts_are_required(client, alice):
    assert_invalid_body(
        post(client, alice, amount=1),
        {
            "from_account_id": ["Missing data for required field."],
            "to_account_id": ["Missing data for required field."],
        },
    )


# Legs


def test_a_transfer_is_two_transfer_legs_in_transactions_only(client, alice):
    main = main_id(client, alice)
    euro = open_account(client, alice, "Euro", "EUR")
    income = add_row(client, alice, "incomes", amount=100, account_id=main)
    created = transfer(
        client,
        alice,
        from_account_id=main,
        to_account_id=euro,
        amount=40,
        to_amount="36.80",
        description="Holiday money",
        date="2026-07-01",
    )
    source, destination = legs(client, alice)
    shared = {
        "type": "TRANSFER",
        "transfer_id": created["id"],
        "category": None,
        "description": "Holiday money",
        "date": "2026-07-01",
    }
    assert source == {
        **shared,
        "id": source["id"],
        "amount": -40,
        "account_id": main,
        "version": created["version"] - 1,
        "created_at": source["created_at"],
        "updated_at": source["updated_at"],
    }
    assert destination == {
        **shared,
        "id": destination["id"],
        "amount": D("36.80"),
        "account_id": euro,
        "version": created["version"],
        "created_at": destination["created_at"],
        "updated_at": destination["updated_at"],
    }
    assert source["id"] != destination["id"] != created["id"]
    assert income["transfer_id"] is None
    everything = json_body(client.get("/transactions", headers=alice.headers))
    assert {row["id"] for row in everything} == {income["id"], source["id"], destination["id"]}
    assert [row["transfer_id"] for row in everything if row["id"] == income["id"]] == [None]
    assert json_body(client.get("/incomes", headers=alice.headers)) == [income]
    assert json_body(client.get("/expenses", headers=alice.headers)) == []
    assert total(client, alice, "/incomes") == 1
    assert total(client, alice, "/expenses") == 0
    assert total(client, alice, "/transactions?type=transfer") == 2


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("collection", ["incomes", "expenses"])
def test_a_leg_has_no_route_of_its_own(prod_client, make_account, method, collection):
    alice = make_account(prod_client, "alice")
    main, savings = main_id(prod_client, alice), open_account(prod_client, alice, "Savings")
    transfer(prod_client, alice, from_account_id=main, to_account_id=savings, amount=5)
    before = legs(prod_client, alice)
    for leg in before:
        response = prod_client.open(
            f"/{collection}/{leg['id']}", method=method, json={"amount": 1}, headers=alice.headers
        )
        assert_problem(response, 404, "Not Found", NOT_FOUND)
    assert legs(prod_client, alice) == before


# Balances


def test_balances_move_exactly_with_create_patch_and_delete(client, alice):
    main = main_id(client, alice)
    savings = open_account(client, alice, "Savings", opening_balance=100)
    cash = open_account(client, alice, "Cash")
    euro = open_account(client, alice, "Euro", "EUR", opening_balance=50)
    accounts = {"main": main, "savings": savings, "cash": cash, "euro": euro}

    def balances():
        return {name: balance(client, alice, account) for name, account in accounts.items()}

    created = transfer(client, alice, from_account_id=main, to_account_id=savings, amount="30.01")
    assert balances() == {"main": D("-30.01"), "savings": D("130.01"), "cash": 0, "euro": 50}
    url = f"/transfers/{created['id']}"
    steps = [
        ({"amount": 45}, {"main": -45, "savings": 145, "cash": 0, "euro": 50}),
        ({"to_account_id": cash}, {"main": -45, "savings": 100, "cash": 45, "euro": 50}),
        (
            {"from_account_id": euro, "amount": 45, "to_amount": "40.5"},
            {"main": 0, "savings": 100, "cash": D("40.5"), "euro": 5},
        ),
        ({"to_amount": 41}, {"main": 0, "savings": 100, "cash": 41, "euro": 5}),
        ({"amount": 50}, {"main": 0, "savings": 100, "cash": 41, "euro": 0}),
        (
            {"from_account_id": main, "amount": 45},
            {"main": -45, "savings": 100, "cash": 45, "euro": 50},
        ),
    ]
    for change, expected in steps:
        json_body(client.patch(url, json=change, headers=alice.headers))
        assert balances() == expected, change
    # A number meant in one currency is not taken for another's: moving the source to another
    # currency names the amount again.
    moved = client.patch(url, json={"from_account_id": euro}, headers=alice.headers)
    assert json_body(moved, 422)["errors"] == {
        "amount": ["Required when the source account's currency changes."]
    }
    assert balances() == steps[-1][1]
    assert client.delete(url, headers=alice.headers).status_code == 204
    assert balances() == {"main": 0, "savings": 100, "cash": 0, "euro": 50}


def test_balance_summary_and_budgets_ignore_transfers(client, alice, usd):
    main, savings = usd
    add_row(client, alice, "incomes", amount=100, category="Food", date="2026-11-02")
    add_row(client, alice, "expenses", amount=30, category="Food", date="2026-11-10")
    budget = client.put("/budgets/2026-11/Food", json={"amount": 50}, headers=alice.headers)
    json_body(budget)
    reads = [
        "/balance",
        "/balance?from=0001-01-01",
        f"/balance?account_id={main}",
        f"/balance?account_id={savings}",
        "/summary?group=month",
        "/summary?group=category",
        "/budgets/2026-11",
    ]

    def answers():
        return {path: json_body(client.get(path, headers=alice.headers)) for path in reads}

    before = answers()
    assert before["/balance"] == {
        "currency": "USD",
        "income": 100,
        "expenses": -30,
        "balance": 70,
        "count": 2,
    }
    assert before["/budgets/2026-11"] == {
        "month": "2026-11",
        "currency": "USD",
        "categories": [
            {"category": "Food", "budgeted": 50, "spent": -30, "available": 20},
        ],
        "total": {"budgeted": 50, "spent": -30, "available": 20},
    }
    body = {"from_account_id": main, "to_account_id": savings, "date": "2026-11-10"}
    there = transfer(client, alice, **body, amount=20)
    back = transfer(
        client, alice, **{**body, "from_account_id": savings, "to_account_id": main}, amount=5
    )
    assert answers() == before
    json_body(client.patch(f"/transfers/{there['id']}", json={"amount": 25}, headers=alice.headers))
    assert answers() == before
    assert client.delete(f"/transfers/{back['id']}", headers=alice.headers).status_code == 204
    assert answers() == before
    assert (balance(client, alice, main), balance(client, alice, savings)) == (45, 25)


# Totals never mix currencies


def test_totals_count_one_currency_the_default_accounts_unless_asked(client, alice):
    main = main_id(client, alice)
    euro = open_account(client, alice, "Euro", "EUR")
    json_body(client.patch(f"/accounts/{euro}", json={"default": True}, headers=alice.headers))
    add_row(client, alice, "incomes", amount="100.10", date="2026-03-01")  # the default: EUR
    add_row(client, alice, "expenses", amount=30, account_id=euro, date="2026-03-02")
    add_row(client, alice, "incomes", amount=7, account_id=main, date="2026-03-03")
    transfer(client, alice, from_account_id=euro, to_account_id=main, amount=10, to_amount=11)

    def get(path):
        return json_body(client.get(path, headers=alice.headers))

    eur = {
        "currency": "EUR",
        "income": D("100.10"),
        "expenses": -30,
        "balance": D("70.10"),
        "count": 2,
    }
    assert get("/balance") == eur
    assert get("/balance?currency=EUR") == eur
    assert get("/balance?currency=USD") == {
        "currency": "USD",
        "income": 7,
        "expenses": 0,
        "balance": 7,
        "count": 1,
    }
    assert get("/balance?currency=JPY") == {
        "currency": "JPY",
        "income": 0,
        "expenses": 0,
        "balance": 0,
        "count": 0,
    }
    assert get("/summary?group=month") == [{"key": "2026-03", **eur}]
    assert get("/summary?group=month&currency=USD") == [
        {"key": "2026-03", "currency": "USD", "income": 7, "expenses": 0, "balance": 7, "count": 1}
    ]
    assert get("/summary?group=month&currency=JPY") == []
    assert (balance(client, alice, euro), balance(client, alice, main)) == (D("60.10"), 18)


@pytest.mark.parametrize("currency", ["usd", "DEM", "EURO", ""])
def test_a_currency_query_that_is_not_an_active_code_is_a_400(client, alice, currency):
    response = client.get(f"/balance?currency={currency}", headers=alice.headers)
    assert_problem(
        response,
        400,
        "Bad Request",
        "The query has invalid parameters.",
        {"currency": [NOT_A_CURRENCY]},
    )


# Listing


def test_transfers_are_listed_newest_first_and_paged_like_transactions(client, alice, bob, usd):
    main, savings = usd
    dates = ["2026-01-05", "2026-01-07", "2026-01-05", "2026-01-06", "2026-01-07", "2026-01-01"]
    made = [
        transfer(client, alice, from_account_id=main, to_account_id=savings, amount=n + 1, date=day)
        for n, day in enumerate(dates)
    ]
    expected = [
        made[n] for n in sorted(range(len(made)), key=lambda n: (dates[n], n), reverse=True)
    ]
    url, seen, pages = "/transfers?limit=4", [], 0
    while url:
        response = client.get(url, headers=alice.headers)
        assert response.status_code == 200
        assert response.headers["X-Total-Count"] == "6"
        seen += response.get_json()
        url = next_url(response)
        pages += 1
        assert pages <= 2
    assert seen == expected
    assert pages == 2
    assert "Link" not in response.headers
    first = client.get("/transfers", headers=alice.headers)
    assert json_body(first) == expected
    assert "Link" not in first.headers
    query = next_url(client.get("/transfers?limit=2", headers=alice.headers))
    assert query.startswith("/transfers?") and "limit=2" in query and "cursor=" in query
    empty = client.get("/transfers", headers=bob.headers)
    assert json_body(empty) == []
    assert empty.headers["X-Total-Count"] == "0"
    assert "Link" not in empty.headers


def test_paging_with_one_per_page_gives_every_transfer_once(client, alice, usd):
    main, savings = usd
    for _ in range(5):
        transfer(
            client, alice, from_account_id=main, to_account_id=savings, amount=1, date="2026-02-02"
        )
    url, seen = "/transfers?limit=1", []
    while url and len(seen) < 10:
        response = client.get(url, headers=alice.headers)
        seen += [row["id"] for row in json_body(response)]
        url = next_url(response)
    assert len(seen) == len(set(seen)) == 5
    assert seen == [row["id"] for row in json_body(client.get("/transfers", headers=alice.headers))]


# Retries


def test_a_client_id_makes_a_retry_safe(client, alice, usd):
    main, savings = usd
    body = {"id": NEW_ID, "from_account_id": main, "to_account_id": savings, "amount": 9}
    first = post(client, alice, **body)
    assert first.status_code == 201
    assert first.get_json()["id"] == NEW_ID
    again = post(client, alice, **body)
    assert again.status_code == 200
    assert again.data == first.data
    assert again.headers["Location"] == first.headers["Location"] == f"/transfers/{NEW_ID}"
    assert again.headers["ETag"] == first.headers["ETag"]
    other = post(client, alice, **{**body, "amount": 10})
    assert_problem(
        other, 409, "Conflict", "You already have a transfer with this id and other content."
    )
    assert total(client, alice, "/transfers") == 1
    assert (balance(client, alice, main), balance(client, alice, savings)) == (-9, 9)


def test_an_idempotency_key_replays_the_first_answer_and_creates_nothing_more(client, alice, usd):
    main, savings = usd
    body = {"from_account_id": main, "to_account_id": savings, "amount": 9}
    key = {"Idempotency-Key": "move-1"}
    first = post(client, alice, key, **body)
    assert first.status_code == 201
    again = post(client, alice, key, **body)
    assert again.status_code == 201  # as /incomes: the kept answer, 201 and all
    assert again.data == first.data
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    other = post(client, alice, key, **{**body, "amount": 10})
    assert_problem(
        other,
        422,
        "Unprocessable Content",
        "This Idempotency-Key was already used for a different request.",
    )
    assert total(client, alice, "/transfers") == 1
    assert len(legs(client, alice)) == 2
    assert (balance(client, alice, main), balance(client, alice, savings)) == (-9, 9)


# Changes


def test_patch_honours_if_match(client, alice, usd):
    main, savings = usd
    response = post(client, alice, from_account_id=main, to_account_id=savings, amount=2)
    url, old = response.headers["Location"], response.headers["ETag"]
    current = client.patch(
        url, json={"description": "Moved"}, headers={**alice.headers, "If-Match": old}
    )
    assert current.status_code == 200
    assert current.headers["ETag"] != old
    stale = client.patch(url, json={"amount": 3}, headers={**alice.headers, "If-Match": old})
    assert_problem(stale, 412, "Precondition Failed", CHANGED)
    assert json_body(client.get(url, headers=alice.headers)) == current.get_json()
    stale_delete = client.delete(url, headers={**alice.headers, "If-Match": old})
    assert_problem(stale_delete, 412, "Precondition Failed", CHANGED)
    fresh = client.patch(
        url, json={"amount": 3}, headers={**alice.headers, "If-Match": current.headers["ETag"]}
    )
    assert json_body(fresh)["amount"] == 3
    assert client.get(url, headers=alice.headers).headers["ETag"] == fresh.headers["ETag"]
    unchanged = client.get(url, headers={**alice.headers, "If-None-Match": fresh.headers["ETag"]})
    assert (unchanged.status_code, unchanged.data) == (304, b"")
    deleted = client.delete(url, headers={**alice.headers, "If-Match": fresh.headers["ETag"]})
    assert deleted.status_code == 204


def test_each_patch_gives_both_legs_a_new_consecutive_version(client, alice, usd):
    main, savings = usd
    created = transfer(client, alice, from_account_id=main, to_account_id=savings, amount="2.50")
    url = f"/transfers/{created['id']}"
    version = created["version"]
    for change in [{"amount": 4}, {"description": "  Pot  "}, {"date": "2025-12-31"}]:
        before = knowledge(client, alice)
        patched = json_body(client.patch(url, json=change, headers=alice.headers))
        assert patched["version"] == version + 2 == before + 2, change
        assert patched["updated_at"] >= created["updated_at"]
        version = patched["version"]
        source, destination = legs(client, alice)
        assert (source["version"], destination["version"]) == (version - 1, version)
        for leg in (source, destination):
            assert (leg["description"], leg["date"]) == (patched["description"], patched["date"])
        changes = json_body(client.get(f"/sync?since={before}", headers=alice.headers))
        assert changes["server_knowledge"] == version
        assert changes["changed"] == [source, destination]
    assert patched == {
        **created,
        "amount": 4,
        "to_amount": 4,
        "description": "Pot",
        "date": "2025-12-31",
        "version": created["version"] + 6,
        "updated_at": patched["updated_at"],
    }
    assert json_body(client.get(url, headers=alice.headers)) == patched


def test_a_patch_that_changes_nothing_keeps_the_versions(client, alice, usd):
    main, savings = usd
    created = transfer(client, alice, from_account_id=main, to_account_id=savings, amount=2)
    url = f"/transfers/{created['id']}"
    assert json_body(client.patch(url, json={}, headers=alice.headers)) == created
    assert json_body(client.patch(url, json={"amount": "2.00"}, headers=alice.headers)) == created
    assert knowledge(client, alice) == created["version"]


def test_same_currency_amount_alone_moves_to_amount_with_it(client, alice, usd):
    main, savings = usd
    created = transfer(client, alice, from_account_id=main, to_account_id=savings, amount=2)
    patched = client.patch(f"/transfers/{created['id']}", json={"amount": 7}, headers=alice.headers)
    assert (json_body(patched)["amount"], patched.get_json()["to_amount"]) == (7, 7)
    assert [leg["amount"] for leg in legs(client, alice)] == [-7, 7]


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"to_account_id": "euro"}, {"to_amount": [REQUIRED_ACROSS]}),
        ({"to_amount": 3}, {"to_amount": [EQUAL_IN_ONE]}),
        ({"to_account_id": "main"}, {"to_account_id": ["A transfer goes to another account."]}),
        (
            {"from_account_id": "savings"},
            {"to_account_id": ["A transfer goes to another account."]},
        ),
        ({"to_account_id": "archived"}, {"to_account_id": [ARCHIVED]}),
        ({"from_account_id": "absent"}, {"from_account_id": [ABSENT]}),
        ({"to_account_id": "bobs"}, {"to_account_id": [ABSENT]}),
        ({"amount": 0}, {"amount": ["An amount cannot be 0."]}),
        ({"amount": "0.001"}, {"amount": ["An amount has at most 2 decimal places."]}),
        ({"from_account_id": None}, {"from_account_id": ["Field may not be null."]}),
        ({"id": NEW_ID}, {"id": ["Read-only field."]}),
    ],
    ids=[
        "to-another-currency",
        "same-currency-other-to_amount",
        "to-the-source",
        "from-the-destination",
        "to-an-archived-account",
        "from-an-absent-account",
        "to-bobs-account",
        "zero",
        "too-many-decimals",
        "null-account",
        "id",
    ],
)
def test_patch_refuses_what_post_refuses_and_changes_nothing(
    client, alice, bob, usd, change, errors
):
    main, savings = usd
    names = {
        "main": main,
        "savings": savings,
        "euro": open_account(client, alice, "Euro", "EUR"),
        "archived": open_account(client, alice, "Old", archived=True),
        "absent": SOME_ID,
        "bobs": main_id(client, bob),
    }
    created = transfer(client, alice, from_account_id=main, to_account_id=savings, amount=2)
    url = f"/transfers/{created['id']}"
    body = {
        name: names.get(value, value) if name.endswith("_id") else value
        for name, value in change.items()
    }
    response = client.patch(url, json=body, headers=alice.headers)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"] == errors
    assert json_body(client.get(url, headers=alice.headers)) == created
    assert (balance(client, alice, main), balance(client, alice, savings)) == (-2, 2)


def test_delete_removes_both_legs_and_sync_lists_their_tombstones(client, alice, usd):
    main, savings = usd
    created = transfer(client, alice, from_account_id=main, to_account_id=savings, amount=2)
    source, destination = legs(client, alice)
    before = knowledge(client, alice)
    url = f"/transfers/{created['id']}"
    deleted = client.delete(url, headers=alice.headers)
    assert deleted.status_code == 204
    assert deleted.data == b""
    assert_problem(client.get(url, headers=alice.headers), 404, "Not Found", NOT_FOUND)
    assert_problem(client.delete(url, headers=alice.headers), 404, "Not Found", NOT_FOUND)
    assert json_body(client.get("/transfers", headers=alice.headers)) == []
    assert legs(client, alice) == []
    changes = json_body(client.get(f"/sync?since={before}", headers=alice.headers))
    assert changes["server_knowledge"] == before + 2
    assert changes["changed"] == []
    assert sorted(changes["deleted"], key=lambda tombstone: tombstone["version"]) == [
        {"id": source["id"], "type": "TRANSFER", "version": before + 1},
        {"id": destination["id"], "type": "TRANSFER", "version": before + 2},
    ]
    everything = json_body(client.get("/sync", headers=alice.headers))
    assert {tombstone["id"] for tombstone in everything["deleted"]} == {
        source["id"],
        destination["id"],
    }


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("target", ["bobs", "absent", "a-leg", "an-income"])
def test_transfers_one_cannot_reach_are_the_same_404(prod_client, make_account, method, target):
    alice, bob = make_account(prod_client, "alice"), make_account(prod_client, "bob")
    bob_main = main_id(prod_client, bob)
    bob_savings = open_account(prod_client, bob, "Savings")
    theirs = transfer(
        prod_client, bob, from_account_id=bob_main, to_account_id=bob_savings, amount=1
    )
    asker, transfer_id = alice, {"bobs": theirs["id"], "absent": SOME_ID}.get(target)
    if target == "a-leg":
        asker, transfer_id = bob, legs(prod_client, bob)[0]["id"]
    elif target == "an-income":
        asker, transfer_id = bob, add_row(prod_client, bob)["id"]
    response = prod_client.open(
        f"/transfers/{transfer_id}", method=method, json={"amount": 5}, headers=asker.headers
    )
    assert_problem(response, 404, "Not Found", NOT_FOUND)
    assert json_body(prod_client.get(f"/transfers/{theirs['id']}", headers=bob.headers)) == theirs
    assert balance(prod_client, bob, bob_savings) == 1


# Concurrency


def test_concurrent_transfers_between_two_accounts_keep_both_balances_exact(
    server_on_test_database,
):
    threads, there = 20, 13  # 13 go A -> B, 7 come back B -> A
    with server_on_test_database() as server:
        base = server.base
        token = live.new_user(base)

        def call(method, path, body=None):
            return live.request(base, method, path, body, token=token)

        a = live.json_body(call("GET", "/auth/me"))["default_account_id"]
        body = {"name": "B", "kind": "savings", "currency": "USD", "opening_balance": "100.00"}
        b = live.json_body(call("POST", "/accounts", body), 201)["id"]
        barrier = threading.Barrier(threads, timeout=30)
        answers = [None] * threads

        def send(n: int) -> None:
            ends = (a, b) if n < there else (b, a)
            body = {"from_account_id": ends[0], "to_account_id": ends[1], "amount": "1.00"}
            barrier.wait()
            answers[n] = call("POST", "/transfers", body)

        pool = [threading.Thread(target=send, args=(n,)) for n in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in pool)
        assert [answer[0] for answer in answers] == [201] * threads, answers
        balances = [
            D(str(live.json_body(call("GET", f"/accounts/{end}"))["balance"])) for end in (a, b)
        ]
        assert balances == [D(-there + (threads - there)), D(100 + there - (threads - there))]
        versions = [answer[2]["version"] for answer in answers]
        assert len(set(versions)) == threads
        status, headers, listed = call("GET", "/transfers?limit=100")
        assert (status, headers["X-Total-Count"]) == (200, str(threads))
        assert sorted(row["id"] for row in listed) == sorted(answer[2]["id"] for answer in answers)
        leg_rows = live.json_body(call("GET", "/transactions?type=transfer&limit=100"))
        leg_versions = sorted(row["version"] for row in leg_rows)
        assert leg_versions == list(range(leg_versions[0], leg_versions[0] + 2 * threads))
        by_transfer = {}
        for row in leg_rows:
            by_transfer.setdefault(row["transfer_id"], []).append(row["version"])
        for answer in answers:
            pair = sorted(by_transfer[answer[2]["id"]])
            assert pair == [answer[2]["version"] - 1, answer[2]["version"]]
