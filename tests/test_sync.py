"""GET /sync: every change after a version, rows in their latest state and tombstones.

Registration's default account is a user's first change (version 1): its version counts in
`server_knowledge`, but this feed does not list accounts yet, so `changed` holds rows only."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from helpers import add_row, assert_problem, json_body
from sqlalchemy import select, update

from cashman.database import db
from cashman.models import DeletedTransaction, User

GONE = ("Gone", "These changes are no longer available: sync again from 0.")


def server_rows(client, account) -> list[dict]:
    """Every row of the account (fewer than 500), as the API lists them."""
    return json_body(client.get("/transactions?limit=500", headers=account.headers))


def sync(client, account, **query):
    return json_body(client.get("/sync", query_string=query, headers=account.headers))


def test_a_new_user_knows_the_default_accounts_version_and_no_rows(client, alice):
    main = json_body(client.get("/accounts", headers=alice.headers))
    assert [account["name"] for account in main] == ["Main"]
    assert sync(client, alice) == {
        "server_knowledge": 1,
        "has_more": False,
        "changed": [],
        "deleted": [],
        "accounts": main,
        "deleted_accounts": [],
    }


def test_changes_come_once_in_their_latest_state_and_deletes_as_tombstones(client, alice, bob):
    # version 1 is the default account, made at registration
    rent = add_row(client, alice, "expenses", description="Rent", amount=900)  # 2
    salary = add_row(client, alice, "incomes", description="Salary", amount=3000)  # 3
    coffee = add_row(client, alice, "expenses", description="Coffee", amount=3)  # 4
    add_row(client, bob)  # another user's change is not in alice's feed
    client.patch(f"/expenses/{rent['id']}", json={"amount": 950}, headers=alice.headers)  # 5
    client.delete(f"/expenses/{coffee['id']}", headers=alice.headers)  # 6
    rent_now = json_body(client.get(f"/expenses/{rent['id']}", headers=alice.headers))

    main = json_body(client.get("/accounts", headers=alice.headers))  # its balance now

    assert sync(client, alice) == {
        "server_knowledge": 6,
        "has_more": False,
        "changed": [salary, rent_now],
        "deleted": [{"id": coffee["id"], "type": "EXPENSE", "version": 6}],
        "accounts": main,
        "deleted_accounts": [],
    }
    assert sync(client, alice, since=4) == {
        "server_knowledge": 6,
        "has_more": False,
        "changed": [rent_now],
        "deleted": [{"id": coffee["id"], "type": "EXPENSE", "version": 6}],
        "accounts": [],
        "deleted_accounts": [],
    }
    assert sync(client, alice, since=6) == {
        "server_knowledge": 6,
        "has_more": False,
        "changed": [],
        "deleted": [],
        "accounts": [],
        "deleted_accounts": [],
    }


def test_pages_hold_exactly_limit_entries_while_more_remain(client, alice):
    rows = [add_row(client, alice, description=f"row {n}") for n in range(5)]  # 2..6
    client.delete(f"/incomes/{rows[1]['id']}", headers=alice.headers)  # 7
    client.patch(f"/incomes/{rows[0]['id']}", json={"amount": 7}, headers=alice.headers)  # 8

    first = sync(client, alice, limit=2)  # the default account (1) and a row count alike
    assert (first["server_knowledge"], first["has_more"]) == (4, True)
    assert [account["version"] for account in first["accounts"]] == [1]
    assert [row["version"] for row in first["changed"]] == [4]
    between = sync(client, alice, since=4, limit=2)
    assert (between["server_knowledge"], between["has_more"]) == (6, True)
    assert [row["version"] for row in between["changed"]] == [5, 6]
    second = sync(client, alice, since=6, limit=1)
    assert (second["server_knowledge"], second["has_more"]) == (7, True)
    assert second["deleted"] == [{"id": rows[1]["id"], "type": "INCOME", "version": 7}]
    last = sync(client, alice, since=7, limit=2)
    assert (last["server_knowledge"], last["has_more"], last["deleted"]) == (8, False, [])
    assert [(row["id"], row["amount"]) for row in last["changed"]] == [(rows[0]["id"], 7.0)]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"since": "-1"}, {"since": ["Must be at least 0."]}),
        ({"since": "x"}, {"since": ["Not a valid integer."]}),
        ({"limit": "0"}, {"limit": ["Must be between 1 and 1000."]}),
        ({"limit": "1001"}, {"limit": ["Must be between 1 and 1000."]}),
    ],
)
def test_bad_parameters_are_a_400_naming_them(client, alice, query, errors):
    response = client.get("/sync", query_string=query, headers=alice.headers)
    assert_problem(response, 400, "Bad Request", "The query has invalid parameters.", errors)


@pytest.mark.parametrize("since", ["3", str(2**63), str(10**30)])
def test_a_version_above_the_users_counter_is_410(client, alice, since):
    add_row(client, alice)  # 2 (the default account is 1)
    response = client.get("/sync", query_string={"since": since}, headers=alice.headers)
    assert_problem(response, 410, *GONE)


def test_tombstones_older_than_the_retention_are_forgotten_then_older_deltas_are_410(
    app, client, alice
):
    rows = [add_row(client, alice) for _ in range(3)]  # 2..4 (the default account is 1)
    client.delete(f"/incomes/{rows[0]['id']}", headers=alice.headers)  # 5
    with app.app_context():  # the delete happened 91 days ago
        long_ago = datetime.now(UTC) - timedelta(days=91)
        db.session.execute(update(DeletedTransaction).values(deleted_at=long_ago))
        db.session.commit()
    client.delete(f"/incomes/{rows[1]['id']}", headers=alice.headers)  # 6: forgets version 5

    with app.app_context():
        assert db.session.scalar(select(User.forgotten_through)) == 5
    for since in (1, 2, 4):
        response = client.get("/sync", query_string={"since": since}, headers=alice.headers)
        assert_problem(response, 410, *GONE)
    assert sync(client, alice, since=5)["deleted"] == [
        {"id": rows[1]["id"], "type": "INCOME", "version": 6}
    ]
    everything = sync(client, alice)  # starting over from 0 always works
    assert [row["id"] for row in everything["changed"]] == [rows[2]["id"]]
    assert everything["server_knowledge"] == 6


def test_a_device_syncing_between_random_changes_ends_with_the_servers_rows(client, alice, bob):
    """Seeded random creates, edits (some changing nothing) and deletes, with a device pulling
    a page of random size now and then (sometimes stopping mid-way, as a phone losing signal):
    once it has pulled every page, its copy is exactly the server's rows. Bob's changes, made
    in between, never reach it."""
    rng = random.Random(1405)
    device: dict[int, dict] = {}
    knowledge = 0

    def pull_one_page() -> bool:
        nonlocal knowledge
        limit = rng.randint(1, 20)
        page = sync(client, alice, since=knowledge, limit=limit)
        entries = page["changed"] + page["deleted"]
        assert all(entry["version"] > knowledge for entry in entries)
        assert len(entries) == limit if page["has_more"] else len(entries) <= limit
        for row in page["changed"]:
            device[row["id"]] = row
        for tombstone in page["deleted"]:
            device.pop(tombstone["id"], None)
        knowledge = page["server_knowledge"]
        return page["has_more"]

    for step in range(300):
        stored = list(server_rows(client, alice))
        choice = rng.random()
        if choice < 0.45 or not stored:
            collection = rng.choice(["incomes", "expenses"])
            add_row(client, alice, collection, amount=rng.randint(1, 9999) / 100)
        elif choice < 0.8:
            row = rng.choice(stored)
            change = rng.choice(
                [{"amount": rng.randint(1, 99)}, {"description": f"edit {step}"}, {}]
            )
            url = f"/{'incomes' if row['type'] == 'INCOME' else 'expenses'}/{row['id']}"
            assert client.patch(url, json=change, headers=alice.headers).status_code == 200
        else:
            row = rng.choice(stored)
            url = f"/{'incomes' if row['type'] == 'INCOME' else 'expenses'}/{row['id']}"
            assert client.delete(url, headers=alice.headers).status_code == 204
        if step % 7 == 0:
            add_row(client, bob)
        if rng.random() < 0.3:
            while pull_one_page() and rng.random() < 0.7:
                pass

    while pull_one_page():
        pass
    assert device == {row["id"]: row for row in server_rows(client, alice)}
    assert knowledge == sync(client, alice)["server_knowledge"]
