"""Each user's change counter: every create, real update and delete adds one, and a row's
`version` is the counter's value at its last change. Registration's default account is a
user's first change (version 1), so a new user's first row is version 2."""

from concurrent.futures import ThreadPoolExecutor

from helpers import add_row, json_body
from sqlalchemy import select

from cashman.database import db
from cashman.models import Transaction, User


def knowledge(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.server_knowledge).where(User.username == username))


def test_every_change_of_a_users_rows_takes_the_next_version(app, client, alice, bob):
    salary = add_row(client, alice, "incomes", description="Salary", amount="100.00")
    pizza = add_row(client, alice, "expenses", description="Pizza", amount="12.50")
    assert (salary["version"], pizza["version"]) == (2, 3)
    assert add_row(client, bob)["version"] == 2  # another user counts on their own

    raised = client.patch(
        f"/incomes/{salary['id']}", json={"amount": "120.00"}, headers=alice.headers
    )
    assert json_body(raised) == {
        **salary,
        "amount": 120.0,
        "version": 4,
        "updated_at": json_body(raised)["updated_at"],
    }
    assert json_body(raised)["updated_at"] > salary["updated_at"]

    same = client.patch(f"/incomes/{salary['id']}", json={"amount": "120"}, headers=alice.headers)
    assert json_body(same) == json_body(raised)  # nothing changed: no version, no updated_at

    assert client.delete(f"/expenses/{pizza['id']}", headers=alice.headers).status_code == 204
    assert add_row(client, alice)["version"] == 6  # the delete took 5
    assert json_body(client.get(f"/incomes/{salary['id']}", headers=alice.headers))["version"] == 4
    assert (knowledge(app, "alice"), knowledge(app, "bob")) == (6, 2)


def test_refused_writes_take_no_version(app, client, alice):
    row = add_row(client, alice)
    outdated = {**alice.headers, "If-Match": '"0123456789abcdef0123456789abcdef"'}
    refused = [
        client.patch(f"/incomes/{row['id']}", json={"amount": 0}, headers=alice.headers),
        client.patch(f"/incomes/{row['id']}", json={"amount": 2}, headers=outdated),
        client.delete(f"/incomes/{row['id']}", headers=outdated),
        client.delete("/incomes/999999", headers=alice.headers),
        client.post("/incomes", json={"description": ""}, headers=alice.headers),
    ]
    assert [response.status_code for response in refused] == [422, 412, 412, 404, 422]
    assert knowledge(app, "alice") == 2
    assert add_row(client, alice)["version"] == 3


def test_concurrent_writes_of_one_user_never_share_a_version(app, client, alice):
    threads, per_thread = 8, 10

    def write(thread: int) -> list[int]:
        return [
            add_row(client, alice, description=f"t{thread}-{n}")["version"]
            for n in range(per_thread)
        ]

    with ThreadPoolExecutor(threads) as pool:
        answered = [version for versions in pool.map(write, range(threads)) for version in versions]
    with app.app_context():
        stored = db.session.scalars(select(Transaction.version)).all()
    assert sorted(answered) == sorted(stored) == list(range(2, threads * per_thread + 2))
    assert knowledge(app, "alice") == threads * per_thread + 1  # and the default account's 1
