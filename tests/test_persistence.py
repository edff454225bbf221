"""Data lives in the database: it survives a restart, and the schema comes from migrations."""

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from helpers import add_row, json_body, login, make_app
from sqlalchemy import text

from cashman.database import db


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


def upgraded_from(tmp_path, secret, revision: str, rows: list[dict], *queries: str) -> list:
    """Build a database at `revision` holding users 1 and 2 and `rows`, upgrade it to the
    latest revision, and return what each query reads from it."""
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
        flask_migrate.upgrade()
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
    )
    assert versions == [("first", 1), ("second", 2), ("third", 3)]
    assert counters == [("ann", 3), ("ben", 0)]
