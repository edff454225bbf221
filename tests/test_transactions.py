"""Incomes, expenses and the combined list: CRUD, order, paths, and isolation between users."""

from datetime import UTC, datetime
from decimal import Decimal

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

KINDS = [("incomes", "INCOME", 1), ("expenses", "EXPENSE", -1)]


def default_account_id(client, account) -> str:
    """The id of the user's default account, as `GET /auth/me` gives it."""
    return json_body(client.get("/auth/me", headers=account.headers))["default_account_id"]


@pytest.mark.parametrize(("collection", "kind", "sign"), KINDS)
def test_create_returns_the_row_with_its_location(client, alice, collection, kind, sign):
    response = client.post(
        f"/{collection}",
        json={
            "description": "  Salary  ",
            "amount": "5000.5",
            "category": "work",
            "date": "2026-11-01",
        },
        headers=alice.headers,
    )
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert response.data.endswith(b"}\n")
    body = response.get_json()
    assert_public_id(body["id"])
    assert response.headers["Location"] == f"/{collection}/{body['id']}"
    assert_timestamp(body["created_at"])
    assert body["updated_at"] == body["created_at"]
    assert body == {
        "id": body["id"],
        "type": kind,
        "description": "Salary",
        "amount": sign * 5000.5,
        "account_id": default_account_id(client, alice),
        "transfer_id": None,
        "category": "work",
        "date": "2026-11-01",
        "created_at": body["created_at"],
        "updated_at": body["created_at"],
        "version": 2,  # registration's default account took 1
    }
    assert b'"amount":' + (b"-" if sign < 0 else b"") + b"5000.50" in response.data


@pytest.mark.parametrize(("collection", "kind", "sign"), KINDS)
def test_create_defaults_date_to_today_and_category_to_null(client, alice, collection, kind, sign):
    body = add_row(client, alice, collection, description="Dividends", amount=200)
    assert body["date"] == datetime.now(UTC).date().isoformat()
    assert body["category"] is None
    assert body["amount"] == sign * 200


def test_an_expense_is_stored_negative_whatever_sign_is_sent(client, alice):
    assert add_row(client, alice, "expenses", amount=50)["amount"] == -50
    assert add_row(client, alice, "expenses", amount=-50)["amount"] == -50
    assert add_row(client, alice, "expenses", amount="-0.01")["amount"] == Decimal("-0.01")


def test_an_income_must_be_positive(client, alice):
    response = client.post(
        "/incomes", json={"description": "Refund", "amount": -5}, headers=alice.headers
    )
    assert_invalid_body(
        response,
        {"amount": ["An income must be positive."]},
    )


@pytest.mark.parametrize(("collection", "kind", "sign"), KINDS)
def test_list_is_newest_date_first_then_higher_id(client, alice, collection, kind, sign):
    old = add_row(client, alice, collection, description="old", date="2026-01-01")
    first = add_row(client, alice, collection, description="first", date="2026-06-01")
    second = add_row(client, alice, collection, description="second", date="2026-06-01")
    newest = add_row(client, alice, collection, description="newest", date="2026-12-31")
    response = client.get(f"/{collection}", headers=alice.headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json() == [newest, second, first, old]


def test_lists_hold_only_their_kind(client, alice):
    income = add_row(client, alice, "incomes", description="Salary", amount=5000)
    expense = add_row(client, alice, "expenses", description="pizza", amount=50)
    assert client.get("/incomes", headers=alice.headers).get_json() == [income]
    assert client.get("/expenses", headers=alice.headers).get_json() == [expense]


def test_transactions_lists_both_kinds_in_order_and_filters_by_type(client, alice):
    salary = add_row(client, alice, "incomes", description="Salary", date="2026-11-01")
    pizza = add_row(client, alice, "expenses", description="pizza", date="2026-11-02")
    dividends = add_row(client, alice, "incomes", description="Dividends", date="2026-11-02")
    everything = client.get("/transactions", headers=alice.headers)
    assert everything.status_code == 200
    assert everything.get_json() == [dividends, pizza, salary]
    incomes = client.get("/transactions?type=income", headers=alice.headers)
    assert incomes.get_json() == [dividends, salary]
    expenses = client.get("/transactions?type=expense", headers=alice.headers)
    assert expenses.get_json() == [pizza]


@pytest.mark.parametrize("value", ["incomes", "", "all", "\u0131ncome"])  # a dotless i
def test_transactions_rejects_an_unknown_type(client, alice, value):
    response = client.get(f"/transactions?type={value}", headers=alice.headers)
    assert_problem(
        response,
        400,
        "Bad Request",
        "The query has invalid parameters.",
        {"type": ["Must be one of: income, expense, transfer."]},
    )


@pytest.mark.parametrize(("collection", "kind", "sign"), KINDS)
def test_get_patch_delete_one_row(client, alice, collection, kind, sign):
    row = add_row(client, alice, collection, description="Salary", amount=100, category="work")
    url = f"/{collection}/{row['id']}"

    got = client.get(url, headers=alice.headers)
    assert got.status_code == 200
    assert got.get_json() == row

    patched = client.patch(
        url,
        json={"description": "Bonus", "amount": "150.25", "category": None},
        headers=alice.headers,
    )
    assert patched.status_code == 200
    body = patched.get_json()
    assert body == {
        **row,
        "description": "Bonus",
        "amount": sign * 150.25,
        "category": None,
        "updated_at": body["updated_at"],
        "version": row["version"] + 1,
    }
    assert body["updated_at"] > row["updated_at"]
    assert client.get(url, headers=alice.headers).get_json() == body

    only_date = client.patch(url, json={"date": "2025-02-03"}, headers=alice.headers)
    assert only_date.get_json()["date"] == "2025-02-03"
    assert only_date.get_json()["description"] == "Bonus"

    deleted = client.delete(url, headers=alice.headers)
    assert deleted.status_code == 204
    assert deleted.get_data() == b""
    assert_problem(client.get(url, headers=alice.headers), 404, "Not Found", NOT_FOUND)
    assert client.get(f"/{collection}", headers=alice.headers).get_json() == []


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"type": "EXPENSE"}, {"type": ["Read-only field."]}),
        (
            {"id": 5, "created_at": "x"},
            {"id": ["Read-only field."], "created_at": ["Read-only field."]},
        ),
        ({"amount": None}, {"amount": ["Field may not be null."]}),
        ({"description": "   "}, {"description": ["Length must be between 1 and 255."]}),
        ({"date": None}, {"date": ["Field may not be null."]}),
        ({"colour": "red"}, {"colour": ["Unknown field."]}),
    ],
)
def test_patch_validates_like_create(client, alice, body, errors):
    row = add_row(client, alice, "incomes")
    response = client.patch(f"/incomes/{row['id']}", json=body, headers=alice.headers)
    assert_invalid_body(response, errors)
    assert client.get(f"/incomes/{row['id']}", headers=alice.headers).get_json() == row


def test_patch_keeps_an_expense_negative(client, alice):
    row = add_row(client, alice, "expenses", amount=10)
    patched = client.patch(f"/expenses/{row['id']}", json={"amount": 20}, headers=alice.headers)
    assert patched.get_json()["amount"] == -20


@pytest.mark.parametrize(
    "path_of",
    [
        lambda income, expense: f"/incomes/{expense}",  # the other kind
        lambda income, expense: f"/expenses/{income}",
        lambda income, expense: f"/incomes/{SOME_ID}",  # absent
        lambda income, expense: f"/incomes/{SOME_ID.upper()}",
        lambda income, expense: "/incomes/1",  # integer ids are gone
        lambda income, expense: "/incomes/0",
        lambda income, expense: "/incomes/-1",
        lambda income, expense: "/incomes/abc",
        lambda income, expense: f"/incomes/{income.replace('-', '')}",  # not the canonical form
        lambda income, expense: f"/incomes/{{{income}}}",
        lambda income, expense: f"/incomes/urn:uuid:{income}",
        lambda income, expense: f"/incomes/{income}0",
        lambda income, expense: f"/incomes/{10**30}",
    ],
    ids=[
        "income-as-expense",
        "expense-as-income",
        "absent",
        "absent-upper-case",
        "integer",
        "zero",
        "negative",
        "text",
        "bare-hex",
        "braces",
        "urn",
        "too-long",
        "huge",
    ],
)
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unreachable_rows_are_the_same_404(prod_client, make_account, path_of, method):
    alice = make_account(prod_client, "alice")
    income = add_row(prod_client, alice, "incomes")["id"]
    expense = add_row(prod_client, alice, "expenses")["id"]
    response = prod_client.open(
        path_of(income, expense), method=method, json={"amount": 1}, headers=alice.headers
    )
    assert_problem(response, 404, "Not Found", NOT_FOUND)


@pytest.mark.parametrize(("collection", "kind", "sign"), KINDS)
def test_another_users_rows_are_invisible_and_untouchable(
    client, alice, bob, collection, kind, sign
):
    row = add_row(client, alice, collection, description="Alice's", amount=10)
    url = f"/{collection}/{row['id']}"

    assert client.get(f"/{collection}", headers=bob.headers).get_json() == []
    assert client.get("/transactions", headers=bob.headers).get_json() == []
    for method in ("GET", "PATCH", "DELETE"):
        response = client.open(url, method=method, json={"amount": 99}, headers=bob.headers)
        assert_problem(response, 404, "Not Found", NOT_FOUND)
        response = client.open(f"{url}/", method=method, json={"amount": 99}, headers=bob.headers)
        assert_problem(response, 404, "Not Found", NOT_FOUND)

    assert client.get(url, headers=alice.headers).get_json() == row
    assert client.get(f"/{collection}", headers=alice.headers).get_json() == [row]
    assert client.get("/auth/me", headers=bob.headers).get_json()["username"] == "bob"


@pytest.mark.parametrize(("collection", "kind", "sign"), KINDS)
def test_paths_answer_the_same_with_a_trailing_slash(client, alice, collection, kind, sign):
    created = client.post(
        f"/{collection}/", json={"description": "x", "amount": 1}, headers=alice.headers
    )
    assert created.status_code == 201
    row = created.get_json()
    assert client.get(f"/{collection}/", headers=alice.headers).get_json() == [row]
    assert client.get(f"/{collection}/{row['id']}/", headers=alice.headers).get_json() == row
    patched = client.patch(
        f"/{collection}/{row['id']}/", json={"description": "y"}, headers=alice.headers
    )
    assert patched.status_code == 200
    assert client.get("/transactions/", headers=alice.headers).get_json() == [patched.get_json()]
    assert client.get("/auth/me/", headers=alice.headers).status_code == 200
    assert client.delete(f"/{collection}/{row['id']}/", headers=alice.headers).status_code == 204
