"""Migration 0006 on a database the 0005 schema filled: every user and row gets a UUID, nothing
is lost, and the API serves the old rows in their old order (SQLite, or --database-url)."""

import hashlib
import uuid
from decimal import Decimal

import flask_migrate
import pytest
from helpers import PASSWORD, assert_problem, assert_public_id, json_body, login, make_app
from sqlalchemy import Uuid, create_engine, make_url, text
from sqlalchemy.exc import IntegrityError

from cashman.database import db
from cashman.filters import fold
from cashman.json_provider import decode, spaced_ascii
from cashman.passwords import hash_password

AT = "2026-01-06 09:00:00.000000"  # when the rows were written (SQLAlchemy's SQLite format)
LATER = "2026-01-07 10:30:00.000000"
# (owner, type, description, cents, category, date), in creation order: the owners interleave,
# and three of ann's rows share a day, so only the old integer ids give their creation order.
ROWS = [
    ("ann", "EXPENSE", "Rent", -90000, "Home", "2026-01-05"),  # edited last: the newest version
    ("ann", "INCOME", "Salary", 300000, "Work", "2026-01-05"),
    ("ben", "INCOME", "Freelance", 50000, "Work", "2026-01-02"),
    ("ann", "EXPENSE", "Coffee", -350, "Food", "2026-01-03"),
    ("ann", "INCOME", "Bonus", 1250, "Work", "2026-01-05"),
    ("ann", "EXPENSE", "Taxi", -1800, "Travel", "2026-01-04"),  # deleted: a tombstone
    ("ben", "EXPENSE", "Lunch", -1200, None, "2026-01-02"),
    ("ann", "EXPENSE", "Books", -2199, None, "2026-01-04"),
]
CREATED = {"Rent": 1, "Salary": 2, "Coffee": 3, "Bonus": 4, "Books": 5, "Freelance": 1, "Lunch": 2}
# The stored answer to an idempotent POST of Bonus, as 0005 wrote it (with the integer id).
OLD_ANSWER = {
    "type": "INCOME",
    "description": "Bonus",
    "amount": Decimal("12.50"),
    "category": "Work",
    "date": "2026-01-05",
    "created_at": "2026-01-06T09:00:00+00:00",
    "updated_at": "2026-01-06T09:00:00+00:00",
    "version": 4,
}
# The columns 0005 had, which must come through the migrations up to 0010 unchanged (0011 keeps
# amounts in minor units and the totals per account: tests/test_persistence.py checks it).
KEPT = {
    "users": "id, username, password_hash, created_at, server_knowledge",
    "transactions": "id, user_id, type, description, search_text, amount_cents, category, date, "
    "created_at, updated_at, version",
    "transaction_totals": "user_id, type, count, amount_cents",
    "logins": "id, user_id, created_at, expires_at, revoked_at",
}
ANSWERS = "SELECT user_id, key, request_hash, created_at FROM idempotency_keys"


@pytest.fixture
def old_url(database_url, tmp_path):
    """A database of the test's own: a file on SQLite; on PostgreSQL a scratch database,
    dropped after, so the suite's database stays at head with empty tables."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"cashman_migration_{uuid.uuid4().hex[:16]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def run(statement: str, **values):
    return db.session.execute(text(statement), values)


def fill() -> dict[str, int]:
    """Write what the app kept at 0005; return the internal ids by username and description."""
    ids, counters = {}, {"ann": 0, "ben": 0}
    for name in counters:
        ids[name] = run(
            "INSERT INTO users (username, password_hash, created_at) "
            "VALUES (:name, :hash, :at) RETURNING id",
            **{"name": name, "hash": hash_password(PASSWORD), "at": AT},
        ).scalar_one()
    for owner, kind, description, cents, category, day in ROWS:
        counters[owner] += 1
        ids[description] = run(
            "INSERT INTO transactions (user_id, type, description, search_text, amount_cents, "
            "category, date, created_at, updated_at, version) VALUES (:user, :kind, :text, "
            ":folded, :cents, :category, :day, :at, :at, :version) RETURNING id",
            **{"user": ids[owner], "kind": kind, "text": description, "cents": cents},
            **{"folded": fold(description), "category": category, "day": day, "at": AT},
            version=counters[owner],
        ).scalar_one()
    counters["ann"] += 1  # Taxi is deleted, leaving its tombstone
    run("DELETE FROM transactions WHERE id = :id", id=ids["Taxi"])
    run(
        "INSERT INTO deleted_transactions (user_id, transaction_id, type, version, deleted_at) "
        "VALUES (:user, :row, 'EXPENSE', :version, :at)",
        **{"user": ids["ann"], "row": ids["Taxi"], "version": counters["ann"], "at": LATER},
    )
    counters["ann"] += 1  # Rent is edited
    run(
        "UPDATE transactions SET amount_cents = -95000, version = :version, updated_at = :at "
        "WHERE id = :id",
        **{"version": counters["ann"], "at": LATER, "id": ids["Rent"]},
    )
    for name, counter in counters.items():
        run("UPDATE users SET server_knowledge = :n WHERE id = :id", n=counter, id=ids[name])
    run(
        "INSERT INTO transaction_totals (user_id, type, count, amount_cents) "
        "SELECT user_id, type, COUNT(*), SUM(amount_cents) FROM transactions GROUP BY user_id, type"
    )
    run(
        "INSERT INTO logins (id, user_id, created_at, expires_at) "
        "VALUES (:id, :user, :at, '2099-01-01 00:00:00.000000')",
        **{"id": uuid.uuid4().hex, "user": ids["ann"], "at": AT},
    )
    run(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, transaction_id, etag, "
        "response, created_at) VALUES (:user, 'retry-1', :hash, :row, :etag, :answer, :at)",
        **{"user": ids["ann"], "hash": "a" * 64, "row": ids["Bonus"], "etag": "b" * 32},
        answer=spaced_ascii({"id": ids["Bonus"], **OLD_ANSWER}),  # as 0005's app wrote it
        at=AT,
    )
    db.session.commit()
    return ids


def kept() -> dict[str, list]:
    return {
        table: run(f"SELECT {columns} FROM {table} ORDER BY 1, 2").all()
        for table, columns in KEPT.items()
    }


# The last revision with the columns of 0005: 0011 renames amount_cents and keys the totals by
# account, and is one way (its downgrade raises).
BEFORE_ACCOUNTS = "0010"


@pytest.fixture
def migrated(old_url, secret):
    """A database filled at 0005 and upgraded to 0010: (an app on it, the old ids, what the
    0005 columns held)."""
    app = make_app(old_url, secret)
    with app.app_context():
        flask_migrate.upgrade(revision="0005")
        ids = fill()
        before = {**kept(), "answers": run(ANSWERS).all()}
        db.session.commit()  # ends the reads: on PostgreSQL they would block the ALTERs
        flask_migrate.upgrade(revision=BEFORE_ACCOUNTS)
        db.engine.dispose()
    served = make_app(old_url, secret)  # started after the migration, as boot.sh does
    yield served, ids, before
    for each in (app, served):
        with each.app_context():
            db.engine.dispose()


def public_ids(table: str) -> dict[int, uuid.UUID]:
    query = text(f"SELECT id, public_id FROM {table}").columns(public_id=Uuid)
    return dict(db.session.execute(query).all())


def test_every_user_and_row_gets_a_uuid_and_keeps_every_value(migrated):
    """Nothing is lost; created_version numbers each user's rows in their old integer-id order."""
    app, ids, before = migrated
    with app.app_context():
        assert kept() == {table: before[table] for table in KEPT}
        users, rows = public_ids("users"), public_ids("transactions")
        assert set(users) == {ids["ann"], ids["ben"]}
        assert set(rows) == {ids[name] for name in CREATED}
        named = [*users.values(), *rows.values()]
        assert len(set(named)) == len(named)
        for public_id in named:
            assert (public_id.version, public_id.variant) == (7, uuid.RFC_4122), public_id
            assert_public_id(str(public_id))
        created = run("SELECT id, created_version FROM transactions").all()
        assert dict(created) == {ids[name]: n for name, n in CREATED.items()}


def test_old_tombstones_are_forgotten_so_sync_starts_over_from_0(migrated):
    """Old tombstones name integer ids no client will hold: they go, with every older change."""
    app, _, _ = migrated
    with app.app_context():
        assert run("SELECT * FROM deleted_transactions").all() == []
        counters = run("SELECT username, server_knowledge, forgotten_through FROM users").all()
        assert sorted(counters) == [("ann", 8, 9), ("ben", 2, 3)]


def test_a_stored_answer_names_its_rows_public_id_and_keeps_the_exact_amount(migrated):
    """A replayed POST gives the id clients now use, and 12.50 stays 12.50 (not 12.5)."""
    app, ids, before = migrated
    with app.app_context():
        query = text("SELECT transaction_id, response, etag FROM idempotency_keys")
        ((public_id, response, etag),) = db.session.execute(
            query.columns(transaction_id=Uuid)
        ).all()
        assert public_id == public_ids("transactions")[ids["Bonus"]]
        # The ETag of the answer's row under its new id: from its created_at and version (4).
        identity = f"{public_id}:{OLD_ANSWER['created_at']}:4"
        assert etag == hashlib.sha256(identity.encode()).hexdigest()[:32]
        assert decode(response) == {"id": str(public_id), **OLD_ANSWER}
        assert '"amount":12.50' in response  # exactly as stored
        assert run(ANSWERS).all() == before["answers"]


def test_the_api_serves_old_rows_by_public_id_newest_created_first_within_a_day(
    migrated, old_url, secret
):
    """Within a day, the old integer ids' order is the creation order the API keeps."""
    app, ids, _ = migrated
    with app.app_context():
        public = {name: str(public_ids("transactions")[ids[name]]) for name in CREATED}
        # To head, as a deployment does: 0011 puts the rows in ann's default account, her
        # change 9 (her rows keep their versions).
        db.session.commit()  # ends the reads: on PostgreSQL they would block the migration
        flask_migrate.upgrade()
        db.engine.dispose()
    app = make_app(old_url, secret)  # started after the migration, as boot.sh does
    client = app.test_client()
    headers = {"Authorization": f"Bearer {json_body(login(client, 'ann'))['access_token']}"}

    listed = json_body(client.get("/transactions", headers=headers))
    newest_first = ["Bonus", "Salary", "Rent", "Books", "Coffee"]
    assert [row["description"] for row in listed] == newest_first
    assert [row["id"] for row in listed] == [public[name] for name in newest_first]
    expected = [("12.50", 4), ("3000.00", 2), ("-950.00", 8), ("-21.99", 6), ("-3.50", 3)]
    assert [(row["amount"], row["version"]) for row in listed] == [
        (Decimal(amount), version) for amount, version in expected
    ]
    gone = client.get("/sync", query_string={"since": 1}, headers=headers)
    assert_problem(gone, 410, "Gone", "These changes are no longer available: sync again from 0.")
    accounts = json_body(client.get("/accounts", headers=headers))
    assert [(account["name"], account["version"]) for account in accounts] == [("Main", 9)]
    assert json_body(client.get("/sync", query_string={"since": 0}, headers=headers)) == {
        "server_knowledge": 9,
        "has_more": False,
        "changed": sorted(listed, key=lambda row: row["version"]),
        "deleted": [],
        "accounts": accounts,
        "deleted_accounts": [],
    }

    body = {"description": "Gift", "amount": "20.00", "date": "2026-01-05"}
    created = json_body(client.post("/incomes", json=body, headers=headers), 201)
    assert created["version"] == 10
    me = json_body(client.get("/auth/me", headers=headers))
    assert {row["account_id"] for row in listed} == {created["account_id"]}
    assert created["account_id"] == me["default_account_id"]
    listed = json_body(client.get("/transactions", headers=headers))
    assert [row["id"] for row in listed[:2]] == [created["id"], public["Bonus"]]
    with app.app_context():
        db.engine.dispose()


def test_a_downgrade_to_0005_keeps_rows_users_and_the_case_insensitive_username_index(migrated):
    """Going back keeps every row and user (stored answers and tombstones are dropped)."""
    app, _, before = migrated
    with app.app_context():
        flask_migrate.downgrade(revision="0005")
        assert kept() == {table: before[table] for table in KEPT}
        assert run("SELECT COUNT(*) FROM idempotency_keys").scalar_one() == 0
        with pytest.raises(IntegrityError):
            run(
                "INSERT INTO users (username, password_hash, created_at) VALUES ('ANN', 'x', :at)",
                at=AT,
            )
        db.session.rollback()
        flask_migrate.upgrade()  # and up again
        assert len(public_ids("transactions")) == len(before["transactions"])
