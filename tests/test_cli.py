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
    assert re.search(
        r"Added 600 transactions to 'sam' in [0-9.]+ s \([0-9,]+ rows/s\)\.", first.output
    )
    again = runner.invoke(args=["seed", "sam", "--rows", "400", "--random-seed", "7"])
    assert again.exit_code == 0, again.output
    assert "Created user" not in again.output

    tokens = json_body(login(client, "sam", "sam-password"))
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    rows, since = [], 0
    # Every row through the sync feed: versions 2 to 1001, once each (version 1 is the default
    # account made at registration, the user's first change).
    while True:
        page = json_body(client.get(f"/sync?since={since}&limit=1000", headers=headers))
        rows += page["changed"]
        since = page["server_knowledge"]
        if not page["has_more"]:
            break
    assert since == 1001
    assert sorted(row["version"] for row in rows) == list(range(2, 1002))
    income = sum(row["amount"] for row in rows if row["type"] == "INCOME")
    expenses = sum(row["amount"] for row in rows if row["type"] == "EXPENSE")
    running = json_body(client.get("/balance", headers=headers))  # the running totals
    assert running == {
        "currency": "USD",
        "income": income,
        "expenses": expenses,
        "balance": income + expenses,
        "count": 1000,
    }
    summed = json_body(client.get("/balance?from=1900-01-01", headers=headers))  # the rows summed
    assert summed == running
    assert all(row["amount"] > 0 for row in rows if row["type"] == "INCOME")
    assert {row["category"] for row in rows} >= {"Eating out", "Groceries", None}
    listed = client.get("/expenses?limit=1", headers=headers)
    assert int(listed.headers["X-Total-Count"]) == sum(row["type"] == "EXPENSE" for row in rows)
