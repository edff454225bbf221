"""Data lives in the database: it survives a restart, and the schema comes from migrations."""

import hashlib
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from helpers import PASSWORD, add_row, json_body, login, make_app
from sqlalchemy import create_engine, make_url, text

from cashman.database import db
from cashman.json_provider import decode


def test_rows_and_accounts_survive_an_app_restart(client, alice, another_app):
    created = add_row(client, alice, description="Salary", amount="5000.01")

    restarted = another_app().test_client()
    assert restarted.get("/incomes", headers=alice.headers).get_json() == [created]
    tokens = json_body(login(restarted, "alice"))
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert restarted.get(f"/incomes/{created['id']}", headers=headers).get_json() == created


def test_migrations_build_exactly_the_models_schema(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_usernames_are_unique_whatever_their_case_in_the_database(app):
    from sqlalchemy.exc import IntegrityError

    from cashman.models import User

    with app.app_context():
        db.session.add(User(username="Carol", password_hash="x"))
        db.session.commit()
        db.session.add(User(username="cAROL", password_hash="x"))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
        else:
            raise AssertionError("the lower(username) unique index is missing")


OLD_ROW = text(
    "INSERT INTO transactions (user_id, type, description, amount_cents, date, created_at, "
    "updated_at) VALUES (:user_id, :kind, :description, :cents, '2026-01-01', '2026-01-01', "
    "'2026-01-01')"
)


def upgraded_from(
    tmp_path, secret, revision: str, rows: list[dict], *queries: str, to: str = "head"
) -> list:
    """Build a database at `revision` holding users 1 and 2 and `rows`, upgrade it to `to`
    (the migration a test checks: later ones rename what it reads), and return what each
    query reads from it."""
    app = make_app(f"sqlite:///{tmp_path / 'old.db'}", secret)
    with app.app_context():
        flask_migrate.upgrade(revision=revision)
        db.session.execute(
            text(
                "INSERT INTO users (id, username, password_hash, created_at) "
                "VALUES (1, 'ann', 'x', '2026-01-01'), (2, 'ben', 'x', '2026-01-01')"
            )
        )
        for row in rows:
            db.session.execute(OLD_ROW, {"user_id": 1, "description": "x", **row})
        db.session.commit()
        flask_migrate.upgrade(revision=to)
        found = [db.session.execute(text(query)).all() for query in queries]
        db.engine.dispose()
    return found


def test_migration_0002_computes_the_totals_of_existing_rows(tmp_path, secret):
    """Upgrading a database that already holds transactions fills the running totals."""
    rows = [{"kind": "INCOME", "cents": 10}, {"kind": "INCOME", "cents": 20}]
    rows.append({"kind": "EXPENSE", "cents": -5})
    (totals,) = upgraded_from(
        tmp_path,
        secret,
        "0001",
        rows,
        "SELECT user_id, type, count, amount_cents FROM transaction_totals ORDER BY 2",
        to="0002",
    )
    assert totals == [(1, "EXPENSE", 1, -5), (1, "INCOME", 2, 30)]


def test_migration_0003_folds_the_descriptions_of_existing_rows(tmp_path, secret):
    """Rows stored before `search_text` existed are found by `q` after the upgrade."""
    rows = [
        {"kind": "INCOME", "cents": 1, "description": description}
        for description in ["STRAßE", "İstanbul", "Plain"]
    ]
    query = "SELECT description, search_text FROM transactions ORDER BY id"
    (folded,) = upgraded_from(tmp_path, secret, "0002", rows, query)
    assert folded == [("STRAßE", "strasse"), ("İstanbul", "istanbul"), ("Plain", "plain")]


def test_migration_0004_numbers_each_users_rows_in_the_order_they_last_changed(tmp_path, secret):
    """Versions become each user's change counter: 1, 2, ... by last change; the counter is
    the number of rows (a user without rows stays at 0)."""
    rows = [
        {"kind": "INCOME", "cents": 1, "description": "first"},
        {"kind": "INCOME", "cents": 2, "description": "second"},
        {"kind": "EXPENSE", "cents": -3, "description": "third"},
    ]
    versions, counters = upgraded_from(
        tmp_path,
        secret,
        "0003",
        rows,
        "SELECT description, version FROM transactions ORDER BY id",
        "SELECT username, server_knowledge FROM users ORDER BY id",
        to="0004",
    )
    assert versions == [("first", 1), ("second", 2), ("third", 3)]
    assert counters == [("ann", 3), ("ben", 0)]


# Migration 0011 (accounts) on a database the 0010 schema filled (SQLite, or --database-url).

PREVIOUS = "0010"  # the last schema without accounts
AT = datetime(2026, 1, 8, 9, 30, tzinfo=UTC)
# (owner, type, description, cents, category, date), in creation order; ann's Taxi is deleted
# (a tombstone) and her Rent edited last, so versions and creation order differ.
OLD_ROWS = [
    ("ann", "INCOME", "Salary", 300000, "Work", "2026-01-05"),
    ("ann", "EXPENSE", "Rent", -90000, "Home", "2026-01-05"),
    ("ben", "INCOME", "Freelance", 50000, "Work", "2026-01-02"),
    ("ann", "INCOME", "Bonus", 1250, "Work", "2026-01-06"),
    ("ann", "EXPENSE", "Taxi", -1800, "Travel", "2026-01-04"),
    ("ben", "EXPENSE", "Lunch", -1200, None, "2026-01-02"),
    ("ann", "EXPENSE", "Coffee", -350, "Food", "2026-01-07"),
]
BONUS = {"description": "Bonus", "amount": "12.50", "category": "Work", "date": "2026-01-06"}
USERS = sa.table(
    "users",
    sa.column("id", sa.Integer()),
    sa.column("public_id", sa.Uuid()),
    sa.column("username"),
    sa.column("password_hash"),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("server_knowledge", sa.Integer()),
)
TRANSACTIONS = sa.table(
    "transactions",
    sa.column("id", sa.Integer()),
    sa.column("public_id", sa.Uuid()),
    *(sa.column(name) for name in ("user_id", "type", "description", "search_text")),
    *(sa.column(name) for name in ("amount_cents", "category")),
    sa.column("date", sa.Date()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("version", sa.Integer()),
    sa.column("created_version", sa.Integer()),
)
TOMBSTONES = sa.table(
    "deleted_transactions",
    sa.column("user_id"),
    sa.column("public_id", sa.Uuid()),
    sa.column("type"),
    sa.column("version"),
    sa.column("deleted_at", sa.DateTime(timezone=True)),
)
KEPT_ANSWERS = sa.table(
    "idempotency_keys",
    *(sa.column(name) for name in ("user_id", "key", "request_hash", "etag", "response")),
    sa.column("transaction_id", sa.Uuid()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


@pytest.fixture
def scratch_url(database_url, tmp_path):
    """A database of the test's own: a file on SQLite; on PostgreSQL a scratch database,
    dropped after, so the suite's database stays at head with empty tables."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'previous.db'}"
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


def fill_previous_schema(app, rows=OLD_ROWS, budget_cents: int = 100000) -> dict:
    """Write what the app kept at 0010: users ann and ben with `rows` (ann's Taxi deleted and
    her Rent edited, if there), their running totals, a budget of ann's and the kept answer
    of the idempotent POST that made Bonus, if there. Answer the internal ids by username,
    the public ids by description and each user's change counter."""
    from cashman.filters import fold
    from cashman.json_provider import spaced_ascii
    from cashman.models import etag
    from cashman.passwords import hash_password

    ids, public, counters = {}, {}, {"ann": 0, "ben": 0}
    for name in counters:
        insert = USERS.insert().values(
            public_id=uuid.uuid4(),
            username=name,
            password_hash=hash_password(PASSWORD),
            created_at=AT,
        )
        ids[name] = db.session.execute(insert.returning(USERS.c.id)).scalar_one()
    for owner, kind, description, cents, category, day in rows:
        counters[owner] += 1
        public[description] = uuid.uuid4()
        values = {"user_id": ids[owner], "type": kind, "description": description}
        values |= {"search_text": fold(description), "amount_cents": cents}
        values |= {"category": category, "date": date.fromisoformat(day)}
        values |= {"created_at": AT, "updated_at": AT, "version": counters[owner]}
        values |= {"public_id": public[description], "created_version": counters[owner]}
        db.session.execute(TRANSACTIONS.insert().values(**values))
    if "Taxi" in public:
        counters["ann"] += 1
        db.session.execute(TRANSACTIONS.delete().where(TRANSACTIONS.c.public_id == public["Taxi"]))
        db.session.execute(
            TOMBSTONES.insert().values(
                user_id=ids["ann"],
                public_id=public["Taxi"],
                type="EXPENSE",
                version=counters["ann"],
                deleted_at=AT,
            )
        )
    if "Rent" in public:
        counters["ann"] += 1
        db.session.execute(
            TRANSACTIONS.update()
            .where(TRANSACTIONS.c.public_id == public["Rent"])
            .values(amount_cents=-95000, version=counters["ann"])
        )
    for name, counter in counters.items():
        db.session.execute(
            USERS.update().where(USERS.c.id == ids[name]).values(server_knowledge=counter)
        )
    db.session.execute(
        text(
            "INSERT INTO transaction_totals (user_id, type, count, amount_cents) SELECT user_id, "
            "type, COUNT(*), SUM(amount_cents) FROM transactions GROUP BY user_id, type"
        )
    )
    db.session.execute(
        text(
            "INSERT INTO budgets (user_id, month, category, amount_cents) "
            "VALUES (:user, :month, 'Home', :cents)"
        ),
        {"user": ids["ann"], "month": date(2026, 1, 1), "cents": budget_cents},
    )
    if "Bonus" in public:
        bonus = db.session.execute(
            sa.select(TRANSACTIONS).where(TRANSACTIONS.c.public_id == public["Bonus"])
        ).one()
        answer = {
            "id": str(bonus.public_id),
            "type": "INCOME",
            **BONUS,
            "amount": Decimal(BONUS["amount"]),
            "created_at": AT.isoformat(),
            "updated_at": AT.isoformat(),
            "version": bonus.version,
        }
        fingerprint = app.json.dumps(["INCOME", BONUS], sort_keys=True)  # as 0010's app did
        db.session.execute(
            KEPT_ANSWERS.insert().values(
                user_id=ids["ann"],
                key="retry-1",
                request_hash=hashlib.sha256(fingerprint.encode()).hexdigest(),
                # As 0010's app made it, from the row as written (its created_at in UTC).
                etag=etag(
                    SimpleNamespace(public_id=bonus.public_id, created_at=AT, version=bonus.version)
                ),
                response=spaced_ascii(answer),  # as 0010's app wrote it
                transaction_id=bonus.public_id,
                created_at=datetime.now(UTC),
            )
        )
    db.session.commit()
    return {"ids": ids, "public": public, "knowledge": counters}


TYPED = {
    "public_id": sa.Uuid(),
    "account_id": sa.Uuid(),
    "transfer_id": sa.Uuid(),
    "date": sa.Date(),
    "month": sa.Date(),
    "archived": sa.Boolean(),
    "is_default": sa.Boolean(),
}


def read(table: str, *columns: str, order_by: str = "user_id") -> dict[int, list[tuple]]:
    """`columns` of every row of `table` by user_id, as Python values on either engine."""
    query = sa.select(
        sa.column("user_id"), *(sa.column(name, TYPED.get(name)) for name in columns)
    ).select_from(sa.table(table))
    found = {}
    for user_id, *values in db.session.execute(query.order_by(text(order_by))).all():
        found.setdefault(user_id, []).append(tuple(values))
    return found


ROW_COLUMNS = ("public_id", "type", "version", "created_version", "date", "category")


def test_migration_0011_puts_every_row_in_each_users_one_default_account(scratch_url, secret):
    """Each user gets one default account, "Main", holding every row unchanged, as their next
    change; totals per account are the rows' sums; a kept answer shows its row as now."""
    app = make_app(scratch_url, secret)
    with app.app_context():
        flask_migrate.upgrade(revision=PREVIOUS)
        old = fill_previous_schema(app)
        before = read("transactions", *ROW_COLUMNS, "amount_cents", order_by="user_id, id")
        tombstones = read("deleted_transactions", "public_id", "type", "version")
        db.session.commit()  # ends the reads: on PostgreSQL they would block the migration
        flask_migrate.upgrade()

        accounts = read(
            "accounts",
            *("name", "kind", "currency", "opening_balance_minor", "archived", "is_default"),
            *("version", "created_version", "public_id"),
        )
        assert accounts.keys() == set(old["ids"].values())
        account_of = {}
        for name, user_id in old["ids"].items():
            ((*account, public_id),) = accounts[user_id]  # exactly one each
            account_of[user_id] = public_id
            knowledge = old["knowledge"][name] + 1  # the account is the user's next change
            assert account == ["Main", "checking", "USD", 0, False, True, knowledge, knowledge]
            counter = sa.select(USERS.c.server_knowledge).where(USERS.c.id == user_id)
            assert db.session.execute(counter).scalar_one() == knowledge
        after = read(
            "transactions",
            *ROW_COLUMNS,
            *("amount_minor", "account_id", "currency", "transfer_id"),
            order_by="user_id, id",
        )
        assert after == {
            user_id: [(*row, account_of[user_id], "USD", None) for row in rows]  # cents: USD's
            for user_id, rows in before.items()
        }
        totals = read(
            "transaction_totals", "account_id", "type", "count", "amount_minor", order_by="2, 3"
        )
        summed = {}
        for user_id, rows in after.items():
            for row in rows:
                key = (user_id, account_of[user_id], row[1])
                count, amount = summed.get(key, (0, 0))
                summed[key] = (count + 1, amount + row[6])
        assert sorted(
            (user_id, *row[:2], *row[2:]) for user_id, rows in totals.items() for row in rows
        ) == sorted((*key, *value) for key, value in summed.items())
        assert read("deleted_transactions", "public_id", "type", "version") == tombstones
        assert read("budgets", "month", "category", "currency", "amount_minor") == {
            old["ids"]["ann"]: [(date(2026, 1, 1), "Home", "USD", 100000)]
        }
        (answer,) = db.session.execute(text("SELECT response FROM idempotency_keys")).scalars()
        kept = decode(answer) if isinstance(answer, str) else answer
        assert (kept["account_id"], kept["transfer_id"]) == (
            str(account_of[old["ids"]["ann"]]),
            None,
        )
        db.session.commit()
        db.engine.dispose()

    served = make_app(scratch_url, secret)  # started after the migration, as boot.sh does
    client = served.test_client()
    for name, counter in old["knowledge"].items():
        headers = {"Authorization": f"Bearer {json_body(login(client, name))['access_token']}"}
        me = json_body(client.get("/auth/me", headers=headers))
        account_id = me["default_account_id"]
        assert uuid.UUID(account_id) == account_of[old["ids"][name]]
        changes = json_body(client.get(f"/sync?since={counter}", headers=headers))
        assert changes["server_knowledge"] == counter + 1
        assert (changes["changed"], changes["deleted"]) == ([], [])
        listed = json_body(client.get("/transactions", headers=headers))
        incomes = json_body(client.get("/incomes", headers=headers))
        assert incomes == [row for row in listed if row["type"] == "INCOME"]
        assert {row["account_id"] for row in listed} == {account_id}
        assert {row["transfer_id"] for row in listed} == {None}
        assert sorted((row["id"], row["amount"], row["version"]) for row in listed) == sorted(
            (str(row[0]), Decimal(row[-1]).scaleb(-2), row[2]) for row in before[old["ids"][name]]
        )
        income = sum(row["amount"] for row in listed if row["type"] == "INCOME")
        expenses = sum(row["amount"] for row in listed if row["type"] == "EXPENSE")
        expected = {
            "currency": "USD",
            "income": income,
            "expenses": expenses,
            "balance": income + expenses,
            "count": len(listed),
        }
        assert json_body(client.get("/balance", headers=headers)) == expected
        in_account = {"account_id": account_id}
        by_account = client.get("/balance", query_string=in_account, headers=headers)
        assert json_body(by_account) == expected
        summed = client.get("/balance", query_string={"from": "1900-01-01"}, headers=headers)
        assert json_body(summed) == expected  # the running totals are the rows' sums

    headers = {"Authorization": f"Bearer {json_body(login(client, 'ann'))['access_token']}"}
    budget = json_body(client.get("/budgets/2026-01/Home", headers=headers))
    assert (budget["amount"], budget["currency"]) == (Decimal("1000.00"), "USD")
    replayed = client.post(
        "/incomes", json=BONUS, headers={**headers, "Idempotency-Key": "retry-1"}
    )
    bonus = json_body(client.get(f"/incomes/{old['public']['Bonus']}", headers=headers))
    assert json_body(replayed, 201) == bonus  # the kept answer, now with account_id
    assert (bonus["account_id"], bonus["transfer_id"]) == (default_account(client, headers), None)
    assert b'"amount":12.50' in replayed.data
    assert (
        replayed.headers["ETag"]
        == client.get(f"/incomes/{old['public']['Bonus']}", headers=headers).headers["ETag"]
    )
    assert len(json_body(client.get("/incomes", headers=headers))) == 2  # nothing made again
    with served.app_context():
        db.engine.dispose()


def default_account(client, headers) -> str:
    return json_body(client.get("/auth/me", headers=headers))["default_account_id"]


def upgrade_or_raise(revision: str = "head") -> None:
    """Upgrade as flask_migrate.upgrade does, but let a migration's error through (Flask-Migrate
    logs it and exits)."""
    from alembic import command
    from flask import current_app

    command.upgrade(current_app.extensions["migrate"].migrate.get_config(), revision)


def refused_in_yen(scratch_url, secret) -> dict[int, list]:
    """Fill a database at 0010 (Bonus is 12.50), try 0011 with DEFAULT_CURRENCY=JPY, check the
    refusal, and return the rows as they were."""
    app = make_app(scratch_url, secret, environ={"DEFAULT_CURRENCY": "JPY"})
    with app.app_context():
        flask_migrate.upgrade(revision=PREVIOUS)
        fill_previous_schema(app)
        before = read("transactions", *ROW_COLUMNS, "amount_cents", order_by="user_id, id")
        db.session.commit()
        with pytest.raises(RuntimeError, match="DEFAULT_CURRENCY=JPY") as refused:
            upgrade_or_raise()
        assert "set DEFAULT_CURRENCY to the currency the rows are in" in str(refused.value)
        db.session.rollback()
        version = text("SELECT version_num FROM alembic_version")
        assert db.session.execute(version).scalar_one() == PREVIOUS
        assert read("transactions", *ROW_COLUMNS, "amount_cents", order_by="user_id, id") == (
            before
        )
        db.session.commit()
        db.engine.dispose()
    return before


def test_migration_0011_refuses_a_default_currency_that_would_round_an_amount(scratch_url, secret):
    """12.50 has no place in yen: the migration stops, naming DEFAULT_CURRENCY, and the
    database stays at 0010 with its rows."""
    refused_in_yen(scratch_url, secret)


def test_migration_0011_runs_once_default_currency_names_the_rows_currency(scratch_url, secret):
    """What the refusal tells the operator to do works: nothing of the refused run is left
    behind, and 0011 runs with DEFAULT_CURRENCY=USD."""
    before = refused_in_yen(scratch_url, secret)
    dollars = make_app(scratch_url, secret, environ={"DEFAULT_CURRENCY": "USD"})
    with dollars.app_context():
        tables = sa.inspect(db.engine).get_table_names()
        assert "accounts" not in tables
        assert "deleted_accounts" not in tables
        upgrade_or_raise()
        assert read("accounts", "currency") == {user_id: [("USD",)] for user_id in before}
        after = read("transactions", *ROW_COLUMNS, "amount_minor", order_by="user_id, id")
        assert after == before
        db.session.commit()
        db.engine.dispose()


WHOLE_ROWS = [
    ("ann", "INCOME", "Salary", 300000, "Work", "2026-01-05"),
    ("ann", "EXPENSE", "Rent", -90000, "Home", "2026-01-05"),  # edited to -95000
    ("ben", "EXPENSE", "Lunch", -1200, None, "2026-01-02"),
    ("ann", "INCOME", "Refund", 1200, None, "2026-01-06"),
]


def test_migration_0011_in_yen_converts_whole_amounts_exactly(scratch_url, secret):
    """Cents that are whole yen become yen: 1200 cents (12.00) is 12, budgets too."""
    app = make_app(scratch_url, secret, environ={"DEFAULT_CURRENCY": "JPY"})
    with app.app_context():
        flask_migrate.upgrade(revision=PREVIOUS)
        old = fill_previous_schema(app, WHOLE_ROWS, budget_cents=100000)
        before = read("transactions", *ROW_COLUMNS, "amount_cents", order_by="user_id, id")
        db.session.commit()
        upgrade_or_raise()
        currencies = read("accounts", "currency", "is_default")
        assert currencies == {user_id: [("JPY", True)] for user_id in old["ids"].values()}
        after = read(
            "transactions", *ROW_COLUMNS, "amount_minor", "currency", order_by="user_id, id"
        )
        assert after == {
            user_id: [(*row[:-1], row[-1] // 100, "JPY") for row in rows]
            for user_id, rows in before.items()
        }
        assert [row[-2] for row in after[old["ids"]["ann"]]] == [3000, -950, 12]
        totals = read("transaction_totals", "type", "count", "amount_minor", order_by="1, 2")
        assert totals == {
            old["ids"]["ann"]: [("EXPENSE", 1, -950), ("INCOME", 2, 3012)],
            old["ids"]["ben"]: [("EXPENSE", 1, -12)],
        }
        assert read("budgets", "month", "category", "currency", "amount_minor") == {
            old["ids"]["ann"]: [(date(2026, 1, 1), "Home", "JPY", 1000)]
        }
        db.session.commit()
        db.engine.dispose()

    served = make_app(scratch_url, secret, environ={"DEFAULT_CURRENCY": "JPY"})
    client = served.test_client()
    headers = {"Authorization": f"Bearer {json_body(login(client, 'ann'))['access_token']}"}
    incomes = client.get("/incomes", headers=headers)
    assert [(row["description"], row["amount"]) for row in json_body(incomes)] == [
        ("Refund", Decimal("12")),
        ("Salary", Decimal("3000")),
    ]
    assert b'"amount":12,' in incomes.data  # no decimals in yen
    assert json_body(client.get("/balance", headers=headers)) == {
        "currency": "JPY",
        "income": Decimal("3012"),
        "expenses": Decimal("-950"),
        "balance": Decimal("2062"),
        "count": 3,
    }
    budget = json_body(client.get("/budgets/2026-01/Home", headers=headers))
    assert (budget["amount"], budget["currency"]) == (Decimal("1000"), "JPY")
    with served.app_context():
        db.engine.dispose()
