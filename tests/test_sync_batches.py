"""POST /sync: an offline client's batch, each operation applied on its own, in order.

Registration's default account is a user's first change (version 1): a new user's first row is
version 2."""

import uuid

import pytest
from helpers import assert_invalid_body, json_body

A, B, C = (str(uuid.UUID(int=n, version=4)) for n in (1, 2, 3))
COFFEE = {"type": "EXPENSE", "description": "Coffee", "amount": "3.50", "date": "2026-11-02"}


def upsert(row_id: str, **fields) -> dict:
    return {"op": "upsert", "id": row_id, **COFFEE, **fields}


def delete(row_id: str, **fields) -> dict:
    return {"op": "delete", "id": row_id, **fields}


def send(client, account, *operations, status: int = 200):
    response = client.post("/sync", json={"operations": list(operations)}, headers=account.headers)
    return json_body(response, status)


def stored(client, account, row_id: str, collection: str = "expenses") -> dict:
    return json_body(client.get(f"/{collection}/{row_id}", headers=account.headers))


def default_account_id(client, account) -> str:
    """The id of the user's default account, as `GET /auth/me` gives it."""
    return json_body(client.get("/auth/me", headers=account.headers))["default_account_id"]


def test_an_upsert_of_a_new_id_creates_it_as_post_would(client, alice):
    answer = send(client, alice, upsert(A.upper(), amount=3.5), upsert(B, type="INCOME"))
    assert answer == {
        "server_knowledge": 3,
        "results": [
            {"id": A, "status": "created", "version": 2},
            {"id": B, "status": "created", "version": 3},
        ],
    }
    row = stored(client, alice, A)
    assert row == {
        "id": A,
        "type": "EXPENSE",
        "description": "Coffee",
        "amount": -3.5,  # the expense sign rule
        "account_id": default_account_id(client, alice),  # none named: the default account
        "transfer_id": None,
        "category": None,
        "date": "2026-11-02",
        "created_at": row["created_at"],
        "updated_at": row["created_at"],
        "version": 2,
    }
    assert json_body(client.get("/balance", headers=alice.headers))["count"] == 2


def test_a_retried_batch_changes_nothing(client, alice):
    batch = [upsert(A), upsert(B, description="Tea"), delete(C)]
    first = send(client, alice, *batch)
    before = json_body(client.get("/sync", headers=alice.headers))
    again = send(client, alice, *batch)
    assert again == {
        "server_knowledge": first["server_knowledge"],
        "results": [
            {"id": A, "status": "unchanged"},
            {"id": B, "status": "unchanged"},
            {"id": C, "status": "unchanged"},
        ],
    }
    assert json_body(client.get("/sync", headers=alice.headers)) == before


def test_an_update_needs_the_rows_current_version(client, alice):
    send(client, alice, upsert(A))  # version 2
    answer = send(
        client,
        alice,
        upsert(A, description="Tea", base_version=2),  # updated: version 3
        upsert(A, description="Milk", base_version=2),  # stale: a conflict
        upsert(A, description="Milk"),  # no base_version: a conflict too
        upsert(A, description="Tea", base_version=0),  # equal: unchanged whatever the base
    )
    current = stored(client, alice, A)
    assert current["description"] == "Tea" and current["version"] == 3
    assert answer == {
        "server_knowledge": 3,
        "results": [
            {"id": A, "status": "updated", "version": 3},
            {"id": A, "status": "conflict", "current": current},
            {"id": A, "status": "conflict", "current": current},
            {"id": A, "status": "unchanged"},
        ],
    }


def test_absent_category_and_date_keep_the_stored_ones(client, alice):
    send(client, alice, upsert(A, category="food"))  # version 2
    fields = {key: value for key, value in COFFEE.items() if key != "date"}
    answer = send(
        client, alice, {"op": "upsert", "id": A, **fields, "amount": "4.00", "base_version": 2}
    )
    assert answer["results"] == [{"id": A, "status": "updated", "version": 3}]
    row = stored(client, alice, A)
    assert (row["category"], row["date"], row["amount"]) == ("food", "2026-11-02", -4)
    cleared = send(client, alice, upsert(A, amount="4.00", category=None, base_version=3))
    assert cleared["results"] == [{"id": A, "status": "updated", "version": 4}]
    assert stored(client, alice, A)["category"] is None


def test_deletes(client, alice):
    send(client, alice, upsert(A), upsert(B))  # versions 2 and 3
    answer = send(
        client,
        alice,
        delete(A, base_version=6),  # not its version: a conflict
        delete(A, base_version=2),  # deleted
        delete(B),  # deleted: no base_version
        delete(B),  # already gone: unchanged
        delete(A, base_version=2),  # gone, and the client thought it had a version: conflict
        upsert(A, base_version=2),  # an edit of a row deleted elsewhere: conflict
    )
    assert answer == {
        "server_knowledge": 5,
        "results": [
            {"id": A, "status": "conflict", "current": answer["results"][0]["current"]},
            {"id": A, "status": "deleted", "version": 4},
            {"id": B, "status": "deleted", "version": 5},
            {"id": B, "status": "unchanged"},
            {"id": A, "status": "conflict", "current": None},
            {"id": A, "status": "conflict", "current": None},
        ],
    }
    assert answer["results"][0]["current"]["version"] == 2
    changes = json_body(client.get("/sync?since=3", headers=alice.headers))
    assert changes["deleted"] == [
        {"id": A, "type": "EXPENSE", "version": 4},
        {"id": B, "type": "EXPENSE", "version": 5},
    ]


@pytest.mark.parametrize(
    ("operation", "errors"),
    [
        (upsert(A, amount=0), {"amount": ["An amount cannot be 0."]}),
        (upsert(A, type="INCOME", amount=-1), {"amount": ["An income must be positive."]}),
        (upsert(A, amount="1.005"), {"amount": ["An amount has at most 2 decimal places."]}),
        (
            {"op": "upsert", "id": A, "type": "EXPENSE", "amount": 1},
            {"description": ["Missing data for required field."]},
        ),
        (upsert(A, colour="red"), {"colour": ["Unknown field."]}),
        (upsert(A, version=3), {"version": ["Read-only field."]}),
        (upsert(A, type="SAVING"), {"type": ["Must be one of: INCOME, EXPENSE."]}),
        (upsert(A, base_version=-1), {"base_version": ["Must be at least 0."]}),
        (upsert(A, base_version="1"), {"base_version": ["Not a valid integer."]}),
        (delete(A, type="EXPENSE"), {"type": ["Unknown field."]}),
    ],
)
def test_an_operation_with_bad_fields_is_invalid_alone(client, alice, operation, errors):
    answer = send(client, alice, operation, upsert(B))
    assert answer == {
        "server_knowledge": 2,
        "results": [
            {"id": A, "status": "invalid", "errors": errors},
            {"id": B, "status": "created", "version": 2},
        ],
    }


def test_a_row_keeps_its_type(client, alice):
    send(client, alice, upsert(A))  # version 2
    answer = send(client, alice, upsert(A, type="INCOME", base_version=2))
    assert answer["results"] == [
        {
            "id": A,
            "status": "invalid",
            "errors": {"type": ["A transaction keeps its type: this one is EXPENSE."]},
        }
    ]
    assert stored(client, alice, A)["version"] == 2


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ([], {"_schema": ["Invalid input type."]}),
        ({}, {"operations": ["Missing data for required field."]}),
        ({"operations": []}, {"operations": ["Length must be between 1 and 500."]}),
        ({"operations": "x"}, {"operations": ["Not a valid list."]}),
        ({"operations": [upsert(A)], "more": 1}, {"more": ["Unknown field."]}),
        ({"operations": [upsert(A), 5]}, {"operations.1": ["Invalid input type."]}),
        (
            {"operations": [{"op": "merge", "id": A}]},
            {
                "operations.0.op": [
                    "Must be one of: upsert, delete, upsert_account, delete_account, "
                    "upsert_transfer, delete_transfer."
                ]
            },
        ),
        ({"operations": [upsert("1")]}, {"operations.0.id": ["Not a valid UUID."]}),
        (
            {"operations": [{"op": "delete"}]},
            {"operations.0.id": ["Missing data for required field."]},
        ),
    ],
)
def test_a_batch_of_a_bad_shape_is_a_422_and_applies_nothing(client, alice, body, errors):
    response = client.post("/sync", json=body, headers=alice.headers)
    assert_invalid_body(response, errors)
    # only registration's default account (version 1)
    assert json_body(client.get("/sync", headers=alice.headers))["server_knowledge"] == 1


def test_more_than_500_operations_is_a_422(client, alice):
    operations = [upsert(str(uuid.uuid4())) for _ in range(501)]
    response = client.post("/sync", json={"operations": operations}, headers=alice.headers)
    assert_invalid_body(response, {"operations": ["Length must be between 1 and 500."]})
    assert json_body(client.get("/balance", headers=alice.headers))["count"] == 0


def test_another_users_ids_are_ids_the_caller_does_not_have(client, alice, bob):
    send(client, alice, upsert(A))
    assert send(client, bob, delete(A))["results"] == [{"id": A, "status": "unchanged"}]
    answer = send(client, bob, upsert(A, description="Bob's"), delete(A, base_version=7))
    assert answer["results"][0] == {"id": A, "status": "created", "version": 2}
    assert answer["results"][1]["status"] == "conflict"
    assert answer["results"][1]["current"]["description"] == "Bob's"
    assert stored(client, alice, A)["description"] == "Coffee"


def test_a_batch_of_500_creates_is_taken_whole(client, alice):
    operations = [upsert(str(uuid.uuid4()), amount=n + 1) for n in range(500)]
    answer = send(client, alice, *operations)
    assert answer["server_knowledge"] == 501  # and the default account's version 1
    assert [result["version"] for result in answer["results"]] == list(range(2, 502))
    balance = json_body(client.get("/balance", headers=alice.headers))
    assert (balance["count"], balance["expenses"]) == (500, -sum(range(1, 501)))


def test_a_retried_batch_naming_an_id_twice_is_answered_again_and_changes_nothing(client, alice):
    """Created and deleted offline: run twice, it would create and delete the row again."""
    send(client, alice, upsert(B))
    batch = [upsert(A), delete(A), delete(B), upsert(B, description="Again")]
    first = send(client, alice, *batch)
    assert [result["status"] for result in first["results"]] == [
        "created",
        "deleted",
        "deleted",
        "created",
    ]
    before = json_body(client.get("/sync", headers=alice.headers))
    # The same JSON value, keys in another order: the same batch.
    reordered = [dict(reversed(list(operation.items()))) for operation in batch]
    for operations in (batch, reordered):
        assert send(client, alice, *operations) == first
    assert json_body(client.get("/sync", headers=alice.headers)) == before
    assert before["server_knowledge"] == 6


def test_a_kept_answer_is_forgotten_after_the_idempotency_ttl(client, app, alice):
    from datetime import timedelta

    batch = [upsert(A), delete(A)]
    send(client, alice, *batch)
    app.config["IDEMPOTENCY_KEY_TTL"] = timedelta(seconds=0)
    again = send(client, alice, *batch)
    assert again == {
        "server_knowledge": 5,
        "results": [
            {"id": A, "status": "created", "version": 4},
            {"id": A, "status": "deleted", "version": 5},
        ],
    }
