"""DELETE /auth/me while the same user's requests are writing: each write that finds the account
gone is a 401 problem (as its token now is), never a 500, and leaves nothing behind.

Found from outside (issue 24): 4 writers and one delete gave 8-14 500s in 8 rounds (SQLite:
NoResultFound counting the version; PostgreSQL: KeyError in the retried-create check).
"""

import threading
import uuid

import pytest
from helpers import add_row, assert_problem, internal_user_id
from sqlalchemy import text

from cashman.database import db
from cashman.stores import ledger

GONE = "The token's user no longer exists."


@pytest.fixture
def deleted_when_writing(monkeypatch):
    """Delete the account on another connection the moment a request starts to write."""
    to_delete = []
    start_writing = ledger.Ledger.__init__

    def delete_then_start(self, user_id):
        if to_delete:
            with db.engine.begin() as connection:  # the app's engine: SQLite's cascades on
                connection.execute(
                    text("DELETE FROM users WHERE id = :id"), {"id": to_delete.pop()}
                )
        start_writing(self, user_id)

    monkeypatch.setattr(ledger.Ledger, "__init__", delete_then_start)
    return to_delete


def leftovers(app, user_id: int) -> dict[str, int]:
    """How many rows of each per-user table still name the user (none may)."""
    with app.app_context():
        tables = [table for table in db.metadata.sorted_tables if "user_id" in table.c]
        found = {
            table.name: len(
                db.session.execute(table.select().where(table.c.user_id == user_id)).all()
            )
            for table in tables
        }
        db.session.rollback()
    return {name: count for name, count in found.items() if count}


def send(client, account, write: str, row_id: str | None):
    path = {"expense": f"/expenses/{row_id}"}
    if write == "create":
        return client.post(
            "/incomes", json={"description": "pay", "amount": "10"}, headers=account.headers
        )
    if write == "create with id":
        body = {"id": str(uuid.uuid4()), "description": "pay", "amount": "10"}
        return client.post("/incomes", json=body, headers=account.headers)
    if write == "patch":
        return client.patch(path["expense"], json={"amount": "-3"}, headers=account.headers)
    if write == "delete":
        return client.delete(path["expense"], headers=account.headers)
    if write == "sync batch":
        change = {
            "op": "upsert",
            "id": str(uuid.uuid4()),
            "type": "EXPENSE",
            "description": "x",
            "amount": "-1",
        }
        return client.post("/sync", json={"operations": [change]}, headers=account.headers)
    if write == "import":
        csv = "type,description,amount,date\nEXPENSE,tea,-2.50,2026-11-02\n"
        headers = {**account.headers, "Content-Type": "text/csv"}
        return client.post("/transactions/import", data=csv, headers=headers)
    assert write == "category rename"
    return client.patch("/categories/Food", json={"name": "Meals"}, headers=account.headers)


@pytest.mark.parametrize(
    "write",
    ["create", "create with id", "patch", "delete", "sync batch", "import", "category rename"],
)
def test_a_write_that_finds_its_account_deleted_is_a_401_problem(
    prod_app, prod_client, make_account, deleted_when_writing, write
):
    alice = make_account(prod_client, "alice")
    row = add_row(
        prod_client, alice, "expenses", description="lunch", amount="-12", category="Food"
    )
    user_id = internal_user_id(prod_app, alice)
    deleted_when_writing.append(user_id)
    response = send(prod_client, alice, write, row["id"])
    assert_problem(response, 401, "Unauthorized", GONE)
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert not deleted_when_writing  # the account was deleted mid-request
    assert leftovers(prod_app, user_id) == {}


def test_writers_racing_an_account_delete_get_only_answers_they_expect(prod_app, make_account):
    """4 writers and one DELETE /auth/me, 8 rounds: every answer a 201 or a 401 problem."""
    statuses = []
    for round_number in range(8):
        client = prod_app.test_client()
        account = make_account(client, f"racer{round_number}")
        barrier = threading.Barrier(5)

        def write(account=account, barrier=barrier):
            client = prod_app.test_client()
            barrier.wait(timeout=10)
            for _ in range(5):
                response = send(client, account, "create", None)
                statuses.append(response.status_code)
                if response.status_code == 401:
                    assert response.get_json()["status"] == 401
                    break

        writers = [threading.Thread(target=write) for _ in range(4)]
        for writer in writers:
            writer.start()
        barrier.wait(timeout=10)
        assert client.delete("/auth/me", headers=account.headers).status_code == 204
        for writer in writers:
            writer.join(timeout=30)
        assert not any(writer.is_alive() for writer in writers)
    assert set(statuses) <= {201, 401}
