"""Categories (listed, renamed, merged) and budgets per category and month, on either engine."""

from decimal import Decimal as D
from urllib.parse import quote

import pytest
from helpers import (
    NOT_FOUND,
    PASSWORD,
    Account,
    add_row,
    assert_invalid_body,
    assert_problem,
    json_body,
)

MONTH = "2026-11"


def put_budget(client, account, category, amount, month=MONTH):
    return client.put(
        f"/budgets/{month}/{quote(category, safe='')}",
        json={"amount": amount},
        headers=account.headers,
    )


def expense(client, account, amount, category=None, date="2026-11-10", description="Coffee"):
    return add_row(
        client,
        account,
        "expenses",
        amount=amount,
        category=category,
        date=date,
        description=description,
    )


def month_plan(client, account, month=MONTH):
    return json_body(client.get(f"/budgets/{month}", headers=account.headers))


# Categories


def test_categories_list_transactions_and_budget_only_names_sorted_with_exact_totals(client, alice):
    expense(client, alice, "12.50", "Food")
    expense(client, alice, "0.10", "Food")
    add_row(client, alice, "incomes", amount="1000.00", category="Salary")
    add_row(client, alice, "incomes", amount="5", category="Food")
    expense(client, alice, "3")  # uncategorised: not a category
    json_body(put_budget(client, alice, "Travel", "100"))
    response = client.get("/categories", headers=alice.headers)
    assert json_body(response) == [
        {
            "name": "Food",
            "currency": "USD",
            "count": 3,
            "income": D("5.00"),
            "expenses": D("-12.60"),
        },
        {
            "name": "Salary",
            "currency": "USD",
            "count": 1,
            "income": D("1000.00"),
            "expenses": D("0.00"),
        },
        {
            "name": "Travel",
            "currency": "USD",
            "count": 0,
            "income": D("0.00"),
            "expenses": D("0.00"),
        },
    ]
    assert response.headers["Cache-Control"] == "no-store"
    assert b'"expenses":-12.60' in response.data  # exact, two decimals


def test_categories_are_per_user(client, alice, bob):
    expense(client, bob, "1", "Secret")
    json_body(put_budget(client, bob, "Hidden", "1"))
    assert json_body(client.get("/categories", headers=alice.headers)) == []
    response = client.patch("/categories/Secret", json={"name": "Mine"}, headers=alice.headers)
    assert_problem(response, 404, "Not Found", NOT_FOUND)


def test_renaming_moves_transactions_under_new_versions_and_sync_shows_them(client, alice):
    first = expense(client, alice, "2", "Cafe")
    second = expense(client, alice, "3", "Cafe")
    other = expense(client, alice, "4", "Rent")
    knowledge = json_body(client.get("/sync", headers=alice.headers))["server_knowledge"]
    response = client.patch("/categories/Cafe", json={"name": "  Coffee  "}, headers=alice.headers)
    assert json_body(response) == {
        "name": "Coffee",
        "currency": "USD",
        "count": 2,
        "income": D("0.00"),
        "expenses": D("-5.00"),
    }
    changes = json_body(client.get(f"/sync?since={knowledge}", headers=alice.headers))
    assert changes["server_knowledge"] == knowledge + 2
    assert [(row["id"], row["category"], row["version"]) for row in changes["changed"]] == [
        (first["id"], "Coffee", knowledge + 1),
        (second["id"], "Coffee", knowledge + 2),
    ]
    assert changes["deleted"] == []
    rent = json_body(client.get(f"/expenses/{other['id']}", headers=alice.headers))
    assert rent == other


def test_renaming_onto_a_used_name_merges_and_adds_budgets_of_the_same_month(client, alice):
    expense(client, alice, "2", "Cafe")
    expense(client, alice, "5", "Coffee")
    json_body(put_budget(client, alice, "Cafe", "10.25"))
    json_body(put_budget(client, alice, "Coffee", "20.50"))
    json_body(put_budget(client, alice, "Cafe", "7", month="2026-12"))
    response = client.patch("/categories/Cafe", json={"name": "Coffee"}, headers=alice.headers)
    assert json_body(response) == {
        "name": "Coffee",
        "currency": "USD",
        "count": 2,
        "income": D("0.00"),
        "expenses": D("-7.00"),
    }
    assert json_body(client.get("/categories", headers=alice.headers)) == [
        {
            "name": "Coffee",
            "currency": "USD",
            "count": 2,
            "income": D("0.00"),
            "expenses": D("-7.00"),
        }
    ]
    november = json_body(client.get("/budgets/2026-11/Coffee", headers=alice.headers))
    assert november == {
        "month": "2026-11",
        "category": "Coffee",
        "currency": "USD",
        "amount": D("30.75"),
    }
    december = json_body(client.get("/budgets/2026-12/Coffee", headers=alice.headers))
    assert december == {
        "month": "2026-12",
        "category": "Coffee",
        "currency": "USD",
        "amount": D("7.00"),
    }
    gone = client.get("/budgets/2026-11/Cafe", headers=alice.headers)
    assert_problem(gone, 404, "Not Found", NOT_FOUND)


def test_a_budget_only_category_can_be_renamed_without_a_version(client, alice):
    json_body(put_budget(client, alice, "Gifts", "50"))
    response = client.patch("/categories/Gifts", json={"name": "Presents"}, headers=alice.headers)
    assert json_body(response) == {
        "name": "Presents",
        "currency": "USD",
        "count": 0,
        "income": D("0.00"),
        "expenses": D("0.00"),
    }
    # The default account, made at registration, is the only change.
    assert json_body(client.get("/sync", headers=alice.headers))["server_knowledge"] == 1


@pytest.mark.parametrize("name", ["Eating out", "Food/Drink", "Café ☕", "100%", "a?b#c"])
def test_names_are_url_encoded_in_paths(client, alice, name):
    expense(client, alice, "1", name)
    json_body(put_budget(client, alice, name, "9.99"))
    path = f"/budgets/{MONTH}/{quote(name, safe='')}"
    assert json_body(client.get(path, headers=alice.headers)) == {
        "month": MONTH,
        "category": name,
        "currency": "USD",
        "amount": D("9.99"),
    }
    response = client.patch(
        f"/categories/{quote(name, safe='')}", json={"name": name + "!"}, headers=alice.headers
    )
    assert json_body(response)["name"] == name + "!"
    assert [c["name"] for c in json_body(client.get("/categories", headers=alice.headers))] == [
        name + "!"
    ]


def test_renaming_to_the_same_name_changes_nothing(client, alice):
    row = expense(client, alice, "1", "Food")
    response = client.patch("/categories/Food", json={"name": "Food"}, headers=alice.headers)
    assert json_body(response) == {
        "name": "Food",
        "currency": "USD",
        "count": 1,
        "income": D("0.00"),
        "expenses": D("-1.00"),
    }
    assert json_body(client.get(f"/expenses/{row['id']}", headers=alice.headers)) == row


def test_renaming_an_unused_name_is_a_404(client, alice):
    response = client.patch("/categories/Nothing", json={"name": "Else"}, headers=alice.headers)
    assert_problem(response, 404, "Not Found", NOT_FOUND)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"name": ["Missing data for required field."]}),
        ({"name": ""}, {"name": ["Length must be between 1 and 64."]}),
        ({"name": "   "}, {"name": ["Length must be between 1 and 64."]}),
        ({"name": "x" * 65}, {"name": ["Length must be between 1 and 64."]}),
        ({"name": None}, {"name": ["Field may not be null."]}),
        ({"name": "Food", "count": 3}, {"count": ["Read-only field."]}),
    ],
)
def test_a_bad_rename_is_a_422_and_changes_nothing(client, alice, body, errors):
    row = expense(client, alice, "1", "Food")
    response = client.patch("/categories/Food", json=body, headers=alice.headers)
    assert_invalid_body(response, errors)
    assert json_body(client.get(f"/expenses/{row['id']}", headers=alice.headers)) == row


# Budgets


def test_a_budget_is_set_replaced_read_and_deleted(client, alice):
    response = put_budget(client, alice, "Food", "300")
    assert json_body(response) == {
        "month": MONTH,
        "category": "Food",
        "currency": "USD",
        "amount": D("300.00"),
    }
    assert b'"amount":300.00' in response.data
    response = put_budget(client, alice, "Food", "250.5")
    assert json_body(response) == {
        "month": MONTH,
        "category": "Food",
        "currency": "USD",
        "amount": D("250.50"),
    }
    assert json_body(client.get("/budgets/2026-11/Food", headers=alice.headers))["amount"] == D(
        "250.5"
    )
    response = client.delete("/budgets/2026-11/Food", headers=alice.headers)
    assert response.status_code == 204
    assert response.data == b""
    again = client.delete("/budgets/2026-11/Food", headers=alice.headers)
    assert_problem(again, 404, "Not Found", NOT_FOUND)
    assert_problem(
        client.get("/budgets/2026-11/Food", headers=alice.headers), 404, "Not Found", NOT_FOUND
    )


def test_budgets_are_per_user(client, alice, bob):
    json_body(put_budget(client, bob, "Food", "300"))
    assert_problem(
        client.get("/budgets/2026-11/Food", headers=alice.headers), 404, "Not Found", NOT_FOUND
    )
    assert_problem(
        client.delete("/budgets/2026-11/Food", headers=alice.headers), 404, "Not Found", NOT_FOUND
    )
    assert month_plan(client, alice) == {
        "month": MONTH,
        "currency": "USD",
        "categories": [],
        "total": {"budgeted": D("0.00"), "spent": D("0.00"), "available": D("0.00")},
    }
    json_body(put_budget(client, alice, "Food", "1"))
    assert json_body(client.get("/budgets/2026-11/Food", headers=bob.headers))["amount"] == 300


@pytest.mark.parametrize(
    "month",
    ["2026-13", "2026-00", "0000-01", "2026-1", "26-11", "2026-11-01", "abcd-ef", "2026_11"],
)
def test_a_month_that_is_not_a_real_yyyy_mm_is_a_404(client, alice, month):
    for response in (
        client.get(f"/budgets/{month}", headers=alice.headers),
        client.put(f"/budgets/{month}/Food", json={"amount": 1}, headers=alice.headers),
        client.delete(f"/budgets/{month}/Food", headers=alice.headers),
    ):
        assert_problem(response, 404, "Not Found", NOT_FOUND)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0, "An amount cannot be 0."),
        (-5, "A budget must be positive."),
        ("-0.01", "A budget must be positive."),
        ("1.001", "An amount has at most 2 decimal places."),
        ("abc", 'Not a valid amount: send a number or a numeric string such as "12.50".'),
        (None, "Field may not be null."),
        (10**13, "An amount must be at most 1000000000000 in absolute value."),
    ],
)
def test_a_bad_amount_is_a_422_naming_amount_and_keeps_the_budget(client, alice, amount, message):
    json_body(put_budget(client, alice, "Food", "300"))
    assert_invalid_body(put_budget(client, alice, "Food", amount), {"amount": [message]})
    assert json_body(client.get("/budgets/2026-11/Food", headers=alice.headers))["amount"] == 300


def test_a_budget_body_names_missing_and_read_only_fields(client, alice):
    response = client.put("/budgets/2026-11/Food", json={}, headers=alice.headers)
    assert_invalid_body(response, {"amount": ["Missing data for required field."]})
    response = client.put(
        "/budgets/2026-11/Food", json={"amount": 1, "month": "2026-12"}, headers=alice.headers
    )
    assert_invalid_body(response, {"month": ["Read-only field."]})


def test_a_budget_category_is_held_to_the_rules_of_a_transactions(client, alice):
    assert_invalid_body(
        put_budget(client, alice, "x" * 65, "1"), {"category": ["Length must be between 1 and 64."]}
    )
    assert_invalid_body(
        put_budget(client, alice, "a\x00b", "1"),
        {"category": ["Must not contain the NUL character."]},
    )
    response = put_budget(client, alice, " Food ", "1")
    assert json_body(response) == {
        "month": MONTH,
        "category": "Food",
        "currency": "USD",
        "amount": D("1.00"),
    }


def test_a_month_sets_budgets_against_its_expenses(client, alice):
    json_body(put_budget(client, alice, "Food", "300"))
    json_body(put_budget(client, alice, "Travel", "100"))
    json_body(put_budget(client, alice, "Food", "999", month="2026-12"))  # another month
    expense(client, alice, "45.20", "Food", date="2026-11-01")
    expense(client, alice, "4.80", "Food", date="2026-11-30")
    expense(client, alice, "99", "Food", date="2026-10-31")  # the month before
    expense(client, alice, "99", "Food", date="2026-12-01")  # the month after
    expense(client, alice, "12", "Books", date="2026-11-15")  # no budget
    expense(client, alice, "7.25", date="2026-11-15")  # uncategorised
    add_row(client, alice, "incomes", amount="500", category="Food", date="2026-11-15")
    assert month_plan(client, alice) == {
        "month": MONTH,
        "currency": "USD",
        "categories": [
            {
                "category": "Books",
                "budgeted": D("0.00"),
                "spent": D("-12.00"),
                "available": D("-12.00"),
            },
            {
                "category": "Food",
                "budgeted": D("300.00"),
                "spent": D("-50.00"),
                "available": D("250.00"),
            },
            {
                "category": "Travel",
                "budgeted": D("100.00"),
                "spent": D("0.00"),
                "available": D("100.00"),
            },
            {"category": None, "budgeted": D("0.00"), "spent": D("-7.25"), "available": D("-7.25")},
        ],
        "total": {"budgeted": D("400.00"), "spent": D("-69.25"), "available": D("330.75")},
    }
    december = month_plan(client, alice, "2026-12")
    assert december["categories"] == [
        {
            "category": "Food",
            "budgeted": D("999.00"),
            "spent": D("-99.00"),
            "available": D("900.00"),
        }
    ]


def test_a_month_without_budgets_or_expenses_is_empty(client, alice):
    add_row(client, alice, "incomes", amount="500", date="2026-11-15")
    response = client.get("/budgets/2026-11", headers=alice.headers)
    assert json_body(response) == {
        "month": MONTH,
        "currency": "USD",
        "categories": [],
        "total": {"budgeted": D("0.00"), "spent": D("0.00"), "available": D("0.00")},
    }
    assert b'"budgeted":0.00' in response.data


def test_the_first_and_last_months_of_the_calendar_work(client, alice):
    expense(client, alice, "1", "Food", date="9999-12-31")
    json_body(put_budget(client, alice, "Food", "5", month="9999-12"))
    assert month_plan(client, alice, "9999-12")["total"] == {
        "budgeted": D("5.00"),
        "spent": D("-1.00"),
        "available": D("4.00"),
    }
    assert month_plan(client, alice, "0001-01")["categories"] == []


def test_december_ends_at_the_year(client, alice):
    expense(client, alice, "1", "Food", date="2026-12-31")
    expense(client, alice, "2", "Food", date="2027-01-01")
    assert month_plan(client, alice, "2026-12")["total"]["spent"] == D("-1.00")


@pytest.mark.parametrize("path", ["a%00b", "x" * 65, "%20%20"])
def test_a_name_no_category_can_have_is_a_404_on_reads_deletes_and_renames(client, alice, path):
    for response in (
        client.get(f"/budgets/2026-11/{path}", headers=alice.headers),
        client.delete(f"/budgets/2026-11/{path}", headers=alice.headers),
        client.patch(f"/categories/{path}", json={"name": "x"}, headers=alice.headers),
    ):
        assert_problem(response, 404, "Not Found", NOT_FOUND)


def test_names_in_paths_are_trimmed_as_stored(client, alice):
    json_body(put_budget(client, alice, " Food ", "1"))
    assert (
        json_body(client.get("/budgets/2026-11/%20Food%20", headers=alice.headers))["category"]
        == "Food"
    )
    assert client.delete("/budgets/2026-11/%20Food%20", headers=alice.headers).status_code == 204


def test_a_budget_is_in_the_default_accounts_currency_with_its_minor_digits(client):
    body = {"username": "traveller", "password": PASSWORD, "currency": "JPY"}
    json_body(client.post("/auth/register", json=body), 201)
    login = {"username": "traveller", "password": PASSWORD}
    tokens = json_body(client.post("/auth/login", json=login))
    user = Account("", "traveller", tokens["access_token"], tokens["refresh_token"])
    assert_invalid_body(
        put_budget(client, user, "Food", "1000.5"),
        {"amount": ["An amount has at most 0 decimal places."]},
    )
    response = put_budget(client, user, "Food", "1000")
    assert json_body(response) == {
        "month": MONTH,
        "category": "Food",
        "currency": "JPY",
        "amount": 1000,
    }
    assert b'"amount":1000}' in response.data
    expense(client, user, "250", "Food")
    response = client.get(f"/budgets/{MONTH}", headers=user.headers)
    assert json_body(response) == {
        "month": MONTH,
        "currency": "JPY",
        "categories": [
            {"category": "Food", "budgeted": 1000, "spent": -250, "available": 750},
        ],
        "total": {"budgeted": 1000, "spent": -250, "available": 750},
    }
    assert b'"available":750}' in response.data
