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
