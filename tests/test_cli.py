"""`flask --app wsgi demo`: the tutorial's sample data, ready to log in to."""

import re
from decimal import Decimal

from helpers import json_body, login


def test_demo_creates_the_tutorial_user_and_rows(app, client):
    result = app.test_cli_runner().invoke(args=["demo", "--password", "demo-password"])
    assert result.exit_code == 0, result.output
    assert "Created user 'demo' (password: demo-password) with 4 transactions." in result.output
    assert '"username": "demo", "password": "demo-password"' in result.output

    tokens = json_body(login(client, "demo", "demo-password"))
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    rows = client.get("/transactions", headers=headers).get_json()
    assert sorted((row["type"], row["description"], row["amount"]) for row in rows) == [
        ("EXPENSE", "Rock Concert", Decimal("-100")),
        ("EXPENSE", "pizza", Decimal("-50")),
        ("INCOME", "Dividends", Decimal("200")),
        ("INCOME", "Salary", Decimal("5000")),
    ]


def test_demo_generates_a_password_and_refuses_to_run_twice(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    password = re.search(r"password: (\S+)\)", first.output).group(1)
    assert len(password) >= 12
    json_body(login(client, "demo", password))  # the printed password logs in

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 1
    assert "Error: the user 'demo' already exists" in second.output


def test_seed_creates_a_user_with_realistic_rows_and_right_totals_and_versions(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "sam", "--rows", "600", "--password", "sam-password"])
    assert first.exit_code == 0, first.output
    assert "Created user 'sam' (password: sam-password)." in first.output
    added = re.search(
        r"Added ([0-9]+) transactions to 'sam' in [0-9.]+ s \([0-9,]+ rows/s\)\.", first.output
    )
    again = runner.invoke(args=["seed", "sam", "--rows", "400", "--random-seed", "7"])
    assert again.exit_code == 0, again.output
    assert "Created user" not in again.output
    added_again = re.search(r"Added ([0-9]+) transactions", again.output)
    # Each item is a row or a transfer's two rows: a few are transfers.
    created = int(added[1]) + int(added_again[1])
    assert 600 < int(added[1]) < 660 and 400 < int(added_again[1]) < 440

    tokens = json_body(login(client, "sam", "sam-password"))
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    rows, accounts, since = [], [], 0
    # Every change through the sync feed once: the default account made at registration (1),
    # the three accounts the first seed opens (2 to 4; the second opens none), then the rows.
    while True:
        page = json_body(client.get(f"/sync?since={since}&limit=1000", headers=headers))
        rows += page["changed"]
        accounts += page["accounts"]
        since = page["server_knowledge"]
        if not page["has_more"]:
            break
    assert since == 4 + created
    assert sorted(account["version"] for account in accounts) == [1, 2, 3, 4]
    assert sorted(row["version"] for row in rows) == list(range(5, 5 + created))
    by_currency = {account["id"]: account["currency"] for account in accounts}
    assert sorted(set(by_currency.values())) == ["EUR", "USD"]
    dollars = [row for row in rows if by_currency[row["account_id"]] == "USD"]
    income = sum(row["amount"] for row in dollars if row["type"] == "INCOME")
    expenses = sum(row["amount"] for row in dollars if row["type"] == "EXPENSE")
    running = json_body(client.get("/balance", headers=headers))  # the running totals
    assert running == {
        "currency": "USD",
        "income": income,
        "expenses": expenses,
        "balance": income + expenses,
        "count": sum(row["type"] != "TRANSFER" for row in dollars),
    }
    summed = json_body(client.get("/balance?from=1900-01-01", headers=headers))  # the rows summed
    assert summed == running
    for account in json_body(client.get("/accounts", headers=headers)):  # legs count here
        in_it = [row["amount"] for row in rows if row["account_id"] == account["id"]]
        assert account["balance"] == sum(in_it, start=account["opening_balance"])
    legs = [row for row in rows if row["type"] == "TRANSFER"]
    transfers = json_body(client.get("/transfers?limit=500", headers=headers))
    assert 2 * len(transfers) == len(legs) > 0
    assert {row["transfer_id"] for row in legs} == {transfer["id"] for transfer in transfers}
    assert all(row["amount"] > 0 for row in rows if row["type"] == "INCOME")
    assert {row["category"] for row in rows} >= {"Eating out", "Groceries", None}
    listed = client.get("/expenses?limit=1", headers=headers)
    assert int(listed.headers["X-Total-Count"]) == sum(row["type"] == "EXPENSE" for row in rows)
