"""A kind is written in any case wherever a client writes one: every answer says "INCOME", so a
client sending back what it read (or what a person typed) must not get a 400 for it."""

import pytest
from helpers import add_row, json_body

from cashman.models import Kind

SPELLINGS = ["income", "INCOME", "Income", "iNcOmE"]
ROW_ID = "01938a4e-7c2b-7d1e-9f3a-2b4c6d8e0f12"


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_type_filter_takes_a_kind_in_any_case(client, alice, spelling):
    salary = add_row(client, alice, "incomes", description="Salary", amount=100)
    add_row(client, alice, "expenses", description="pizza", amount=5)
    response = client.get(f"/transactions?type={spelling}", headers=alice.headers)
    assert json_body(response) == [salary]
    assert response.headers["X-Total-Count"] == "1"


@pytest.mark.parametrize("spelling", ["expense", "EXPENSE", "Expense"])
def test_a_sync_upsert_takes_a_kind_in_any_case(client, alice, spelling):
    operation = {"op": "upsert", "id": ROW_ID, "type": spelling, "description": "x", "amount": 3}
    response = client.post("/sync", json={"operations": [operation]}, headers=alice.headers)
    answer = json_body(response)
    assert answer == {  # registration's default account took version 1
        "server_knowledge": 2,
        "results": [{"id": ROW_ID, "status": "created", "version": 2}],
    }
    row = json_body(client.get(f"/expenses/{ROW_ID}", headers=alice.headers))
    assert (row["type"], row["amount"]) == ("EXPENSE", -3)


def test_an_import_takes_a_kind_in_any_case(client, alice):
    rows = [{"type": spelling, "description": spelling, "amount": 1} for spelling in SPELLINGS]
    response = client.post("/transactions/import", json=rows, headers=alice.headers)
    assert json_body(response) == {"created": 4, "skipped_duplicates": 0}
    listed = json_body(client.get("/transactions", headers=alice.headers))
    assert {row["type"] for row in listed} == {"INCOME"}


@pytest.mark.parametrize(
    ("name", "kind"),
    [("income", Kind.INCOME), ("ExPeNsE", Kind.EXPENSE), ("\u0131ncome", None), ("", None)],
)
def test_a_kind_is_named_in_ascii_only(name, kind):
    """`str.upper` makes the dotless "ı" an "I": "ıncome" must not be taken for INCOME."""
    assert Kind.named(name) is kind
    assert Kind.named(None) is None and Kind.named(1) is None
