"""Accounts: every user gets a default account ("Main", checking, in DEFAULT_CURRENCY as it is
set when this runs) holding every existing row; rows, running totals and budgets are kept in the
currency's minor units, with transfers' legs beside incomes and expenses.

The tables whose keys or constraints change are built anew and filled from the old ones in one
INSERT ... SELECT each (both engines alike: SQLite cannot alter a constraint in place). Amounts
are converted exactly; a currency with fewer than 2 decimals refuses to run if an amount would
be rounded. The account is the user's next change, so a client that syncs from its last
`server_knowledge` receives it; kept answers (Idempotency-Key, retried batches) are rewritten
to show their rows as they are now answered.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import os
from datetime import UTC, datetime
from decimal import Decimal

import msgspec
import sqlalchemy as sa
from alembic import op
from babel.numbers import get_currency_precision
from flask import current_app
from uuid_utils.compat import uuid7

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BATCH = 1000
ANSWER_DECODER = msgspec.json.Decoder(float_hook=Decimal)
ANSWER_ENCODER = msgspec.json.Encoder(decimal_format="number")
Timestamp = sa.DateTime(timezone=True)
KINDS = ("INCOME", "EXPENSE", "TRANSFER")
ACCOUNT_KINDS = ("checking", "savings", "credit_card", "cash", "investment", "loan", "other")


def kind(constraint: str) -> sa.Enum:
    return sa.Enum(*KINDS, name=constraint, native_enum=False, create_constraint=True, length=8)


def upgrade():
    currency = _default_currency()
    scale = 10 ** (get_currency_precision(currency) - 2)  # from cents to minor units
    connection = op.get_bind()
    _refuse_rounding(connection, currency, scale)  # first: a refused run leaves nothing behind
    _create_accounts()
    _open_default_accounts(connection, currency)
    minor = _converted("amount_cents", scale)
    _rebuild_transactions(minor, currency)
    _rebuild_tombstones()
    _rebuild_totals()
    _rebuild_budgets(minor, currency)
    _rewrite_kept_answers(connection, currency)


def _default_currency() -> str:
    """DEFAULT_CURRENCY as the app reads it (its config under `flask db`, else the
    environment)."""
    try:
        return current_app.config["DEFAULT_CURRENCY"]
    except (RuntimeError, KeyError):
        return os.environ.get("DEFAULT_CURRENCY") or "USD"


def _converted(column: str, scale: int | float) -> str:
    """SQL for a cents column in the currency's minor units (exact: checked before)."""
    if scale >= 1:
        return f"{column} * {int(scale)}"
    return f"{column} / {round(1 / scale)}"


def _refuse_rounding(connection, currency: str, scale: float) -> None:
    if scale >= 1:
        return
    divisor = round(1 / scale)
    for table in ("transactions", "budgets"):
        inexact = connection.scalar(
            sa.text(f"SELECT count(*) FROM {table} WHERE amount_cents % {divisor} <> 0")
        )
        if inexact:
            raise RuntimeError(
                f"DEFAULT_CURRENCY={currency} has fewer decimals than {inexact} amounts of "
                f"{table}: set DEFAULT_CURRENCY to the currency the rows are in."
            )


def _create_accounts() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                *ACCOUNT_KINDS,
                name="ck_accounts_kind",
                native_enum=False,
                create_constraint=True,
                length=11,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("opening_balance_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "user_id", "public_id", "currency", name="uq_accounts_user_id_currency"
        ),
    )
    op.create_index("uq_accounts_user_public_id", "accounts", ["user_id", "public_id"], unique=True)
    op.create_index("uq_accounts_user_name_key", "accounts", ["user_id", "name_key"], unique=True)
    op.create_index(
        "uq_accounts_user_default",
        "accounts",
        ["user_id"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )
    op.create_index("ix_accounts_user_version", "accounts", ["user_id", "version"])
    op.create_table(
        "deleted_accounts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "public_id"),
    )
    op.create_index("ix_deleted_accounts_user_version", "deleted_accounts", ["user_id", "version"])


def _open_default_accounts(connection, currency: str) -> None:
    """Each user's "Main" account, as their next change."""
    users = sa.table("users", sa.column("id"), sa.column("server_knowledge"))
    accounts = sa.table(
        "accounts",
        *(sa.column(name) for name in ("user_id", "name", "name_key", "kind", "currency")),
        *(sa.column(name) for name in ("is_default", "created_at", "updated_at")),
        sa.column("version"),
        sa.column("created_version"),
        sa.column("public_id", sa.Uuid()),
    )
    now = datetime.now(UTC)
    found = connection.execute(sa.select(users.c.id, users.c.server_knowledge)).all()
    for start in range(0, len(found), BATCH):
        opened = [
            {
                "user_id": user_id,
                "public_id": uuid7(),
                "name": "Main",
                "name_key": "main",
                "kind": "checking",
                "currency": currency,
                "is_default": True,
                "created_at": now,
                "updated_at": now,
                "version": knowledge + 1,
                "created_version": knowledge + 1,
            }
            for user_id, knowledge in found[start : start + BATCH]
        ]
        connection.execute(accounts.insert(), opened)
    op.execute("UPDATE users SET server_knowledge = server_knowledge + 1")


def _rebuild(name: str, columns: list, constraints: list, filled_by: str, indexes: dict) -> None:
    """Build `name` anew from `filled_by` (a SELECT of the old table's rows, in `columns`'
    order), then drop the old table and take its name."""
    op.create_table(f"{name}_new", *columns, *constraints)
    names = ", ".join(column.name for column in columns)
    op.execute(f"INSERT INTO {name}_new ({names}) {filled_by}")
    op.drop_table(name)
    op.rename_table(f"{name}_new", name)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {name} RENAME CONSTRAINT {name}_new_pkey TO {name}_pkey")
        if any(column.name == "id" for column in columns):
            op.execute(f"ALTER SEQUENCE {name}_new_id_seq RENAME TO {name}_id_seq")
            op.execute(
                f"SELECT setval('{name}_id_seq', coalesce((SELECT max(id) FROM {name}), 0) + 1,"
                " false)"
            )
    for index, (indexed, unique) in indexes.items():
        op.create_index(index, name, indexed, unique=unique)


def _rebuild_transactions(minor: str, currency: str) -> None:
    columns = [
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("public_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("type", kind("ck_transactions_type"), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("search_text", sa.Text(), server_default="", nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("transfer_id", sa.Uuid(), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_version", sa.Integer(), nullable=False),
    ]
    constraints = [
        sa.CheckConstraint(
            "(type = 'INCOME' AND amount_minor > 0 AND transfer_id IS NULL)"
            " OR (type = 'EXPENSE' AND amount_minor < 0 AND transfer_id IS NULL)"
            " OR (type = 'TRANSFER' AND amount_minor <> 0 AND transfer_id IS NOT NULL)",
            name="ck_transactions_amount_sign",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["user_id", "account_id", "currency"],
            ["accounts.user_id", "accounts.public_id", "accounts.currency"],
            name="fk_transactions_account",
        ),
        sa.PrimaryKeyConstraint("id"),
    ]
    filled_by = (
        "SELECT t.id, t.public_id, t.user_id, t.type, t.description, t.search_text, "
        f"{minor.replace('amount_cents', 't.amount_cents')}, a.public_id, a.currency, NULL, "
        "t.category, t.date, t.created_at, t.updated_at, t.version, t.created_version "
        "FROM transactions t JOIN accounts a ON a.user_id = t.user_id AND a.is_default"
    )
    indexes = {
        "uq_transactions_user_public_id": (["user_id", "public_id"], True),
        "ix_transactions_user_date_created_cents": (
            ["user_id", "date", "created_version", "amount_minor"],
            False,
        ),
        "ix_transactions_user_type_date_created_category_cents": (
            ["user_id", "type", "date", "created_version", "category", "amount_minor"],
            False,
        ),
        "ix_transactions_user_version": (["user_id", "version"], False),
        "ix_transactions_user_category_date_created_cents": (
            ["user_id", "category", "date", "created_version", "amount_minor"],
            False,
        ),
        "ix_transactions_user_account_date_created": (
            ["user_id", "account_id", "date", "created_version"],
            False,
        ),
    }
    _rebuild("transactions", columns, constraints, filled_by, indexes)


def _rebuild_tombstones() -> None:
    columns = [
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.Uuid(), nullable=False),
        sa.Column("type", kind("ck_deleted_type"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", Timestamp, nullable=False),
    ]
    constraints = [
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "public_id"),
    ]
    filled_by = "SELECT user_id, public_id, type, version, deleted_at FROM deleted_transactions"
    indexes = {"ix_deleted_transactions_user_version": (["user_id", "version"], False)}
    _rebuild("deleted_transactions", columns, constraints, filled_by, indexes)


def _rebuild_totals() -> None:
    """Running totals per account and kind, summed again from the rows themselves."""
    columns = [
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("type", kind("ck_totals_type"), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
    ]
    constraints = [
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["user_id", "account_id"],
            ["accounts.user_id", "accounts.public_id"],
            ondelete="CASCADE",
            name="fk_totals_account",
        ),
        sa.PrimaryKeyConstraint("user_id", "account_id", "type"),
    ]
    filled_by = (
        "SELECT user_id, account_id, type, count(*), sum(amount_minor) FROM transactions "
        "GROUP BY user_id, account_id, type"
    )
    _rebuild("transaction_totals", columns, constraints, filled_by, {})


def _rebuild_budgets(minor: str, currency: str) -> None:
    columns = [
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
    ]
    constraints = [
        sa.CheckConstraint("amount_minor > 0", name="ck_budgets_amount_positive"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "month", "category", "currency"),
    ]
    filled_by = f"SELECT user_id, month, category, '{currency}', {minor} FROM budgets"
    _rebuild("budgets", columns, constraints, filled_by, {})


def _rewrite_kept_answers(connection, currency: str) -> None:
    """A replayed answer shows its row as rows are answered now: in its account, with the
    currency's decimals, no transfer."""
    accounts = sa.table("accounts", sa.column("user_id"), sa.column("public_id", sa.Uuid()))
    account_of = dict(connection.execute(sa.select(accounts.c.user_id, accounts.c.public_id)).all())
    places = get_currency_precision(currency)
    for table, key in (("idempotency_keys", "key"), ("replayed_batches", "fingerprint")):
        kept = sa.table(table, sa.column("user_id"), sa.column(key), sa.column("response"))
        found = connection.execute(sa.select(kept.c.user_id, kept.c[key], kept.c.response)).all()
        for user_id, name, response in found:
            answer = ANSWER_DECODER.decode(response)
            for row in _rows_of(answer):
                row["amount"] = Decimal(row["amount"]).quantize(Decimal(1).scaleb(-places))
                row["account_id"] = str(account_of[user_id])
                row["transfer_id"] = None
            connection.execute(
                kept.update()
                .where(kept.c.user_id == user_id, kept.c[key] == name)
                .values(response=ANSWER_ENCODER.encode(answer).decode())
            )


def _rows_of(answer: dict) -> list[dict]:
    """The transactions an answer shows: a created row, or a batch's conflicts' rows."""
    if "results" in answer:
        return [result["current"] for result in answer["results"] if result.get("current")]
    return [answer]


def downgrade():
    """One way: a user's accounts, transfers and currencies have no place in one pot of money
    in cents. Restore the backup taken before the upgrade instead."""
    raise RuntimeError("Migration 0011 (accounts) cannot be undone: restore a backup.")
