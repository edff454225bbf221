"""The README's curl walk-through works as written, against the real start script."""

import json
import re
import subprocess
from decimal import Decimal

from helpers import problem_body
from live import ROOT

README_BASE = "http://127.0.0.1:5000"


def walkthrough_script() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Walk-through", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_readme_walkthrough_runs_as_written(live_server):
    script = walkthrough_script().replace(README_BASE, live_server)
    assert README_BASE not in script
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # curl -s prints each body without a newline: split the concatenated JSON documents.
    decoder, text, outputs = json.JSONDecoder(parse_float=Decimal), result.stdout, []
    position = 0
    while position < len(text.rstrip()) and not text[position:].startswith("204"):
        document, position = decoder.raw_decode(text, position)
        outputs.append(document)
        while position < len(text) and text[position].isspace():
            position += 1
    assert text[position:] == "204\n"

    registered, income, expense, incomes, expenses, only_expenses, balance, months, changes = (
        outputs[:9]
    )
    offline, *errors = outputs[9:]
    no_token, bad_amount = errors
    assert registered["username"] == "bruno"
    assert (income["type"], income["description"], income["amount"]) == (
        "INCOME",
        "lottery",
        Decimal("1000.00"),
    )
    assert (expense["type"], expense["amount"]) == ("EXPENSE", Decimal("-20.00"))
    assert income["account_id"] == expense["account_id"]  # bruno's default account
    assert (income["transfer_id"], expense["transfer_id"]) == (None, None)
    assert incomes == [income]
    assert expenses == only_expenses == [expense]
    assert balance == {
        "currency": "USD",
        "income": Decimal("1000.00"),
        "expenses": Decimal("-20.00"),
        "balance": Decimal("980.00"),
        "count": 2,
    }
    month = income["date"][:7]
    assert months == [{"key": month, **balance}]
    # Version 1 is the default account registration made, the user's first change.
    assert (income["version"], expense["version"]) == (2, 3)
    (main,) = changes.pop("accounts")
    assert changes == {
        "server_knowledge": 3,
        "has_more": False,
        "changed": [income, expense],
        "deleted": [],
        "deleted_accounts": [],
    }
    assert (main["id"], main["name"], main["default"]) == (income["account_id"], "Main", True)
    assert (main["version"], main["balance"]) == (1, Decimal("980.00"))
    assert offline == {
        "server_knowledge": 4,
        "results": [
            {"id": "01938a4e-7c2b-7d1e-9f3a-2b4c6d8e0f12", "status": "created", "version": 4}
        ],
    }
    # curl -s shows no headers: the request ID is only checked to be there.
    assert no_token == {
        **problem_body(401, "Unauthorized", "A bearer access token is required."),
        "request_id": no_token["request_id"],
    }
    assert bad_amount == {
        **problem_body(
            422,
            "Unprocessable Content",
            "The request body has invalid fields.",
            {"amount": ["An amount has at most 2 decimal places."]},
        ),
        "request_id": bad_amount["request_id"],
    }
