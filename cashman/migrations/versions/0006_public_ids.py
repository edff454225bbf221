"""Public UUIDs for users and transactions, and a per-user creation order.

Every user and row gets a time-ordered UUID (v7); integer ids stay internal. A row's
`created_version` (its user's counter at its creation, here 1, 2, ... in creation order) orders
a day's rows without any global sequence. Tombstones named integer ids a client can no longer
match, so they are forgotten and every user's older changes with them: clients sync again
from 0. Stored idempotent answers are rewritten with the public ids.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

import hashlib
from contextlib import contextmanager
from decimal import Decimal

import msgspec
import sqlalchemy as sa
from alembic import op
from uuid_utils.compat import uuid7

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 1000
# Stored answers keep their amounts exact: numbers with a fraction are Decimals both ways.
ANSWER_DECODER = msgspec.json.Decoder(float_hook=Decimal)
ANSWER_ENCODER = msgspec.json.Encoder(decimal_format="number")
KIND = sa.Enum(
    "INCOME", "EXPENSE", name="ck_deleted_type", native_enum=False, length=7, create_constraint=True
)
OLD_INDEXES = {
    "ix_transactions_user_date_id_cents": ["user_id", "date", "id", "amount_cents"],
    "ix_transactions_user_type_date_id": ["user_id", "type", "date", "id"],
    "ix_transactions_user_category_date_id_cents": [
        "user_id",
        "category",
        "date",
        "id",
        "amount_cents",
    ],
}
NEW_INDEXES = {
    "ix_transactions_user_date_created_cents": [
        "user_id",
        "date",
        "created_version",
        "amount_cents",
    ],
    "ix_transactions_user_type_date_created": ["user_id", "type", "date", "created_version"],
    "ix_transactions_user_category_date_created_cents": [
        "user_id",
        "category",
        "date",
        "created_version",
        "amount_cents",
    ],
}

users = sa.table("users", sa.column("id"), sa.column("public_id", sa.Uuid()))
rows = sa.table(
    "transactions",
    sa.column("id"),
    sa.column("user_id"),
    sa.column("public_id", sa.Uuid()),
    sa.column("created_version"),
    sa.column("version"),
)
records = sa.table(
    "idempotency_keys",
    sa.column("user_id"),
    sa.column("key"),
    sa.column("transaction_id"),
    sa.column("public_id", sa.Uuid()),
    sa.column("response"),
    sa.column("etag"),
)


def upgrade():
    op.add_column("users", sa.Column("public_id", sa.Uuid(), nullable=True))
    op.add_column("transactions", sa.Column("public_id", sa.Uuid(), nullable=True))
    op.add_column("transactions", sa.Column("created_version", sa.Integer(), nullable=True))
    connection = op.get_bind()
    _name_users(connection)
    _name_rows(connection)
    with _users_batch() as batch:
        batch.alter_column("public_id", existing_type=sa.Uuid(), nullable=False)
    op.create_index("uq_users_public_id", "users", ["public_id"], unique=True)
    for name in OLD_INDEXES:
        op.drop_index(name, table_name="transactions")
    with op.batch_alter_table("transactions") as batch:
        batch.alter_column("public_id", existing_type=sa.Uuid(), nullable=False)
        batch.alter_column("created_version", existing_type=sa.Integer(), nullable=False)
    op.create_index(
        "uq_transactions_user_public_id", "transactions", ["user_id", "public_id"], unique=True
    )
    for name, columns in NEW_INDEXES.items():
        op.create_index(name, "transactions", columns)
    _forget_tombstones()
    _rewrite_idempotent_answers(connection)


@contextmanager
def _users_batch():
    """Alter `users`; SQLite's batch mode rebuilds the table without its expression index
    (lower(username)), so it is built again after."""
    op.drop_index("uq_users_username_lower", table_name="users")
    with op.batch_alter_table("users") as batch:
        yield batch
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)


def _name_users(connection) -> None:
    ids = connection.execute(sa.select(users.c.id).order_by(users.c.id)).scalars().all()
    for start in range(0, len(ids), BATCH):
        connection.execute(
            users.update()
            .where(users.c.id == sa.bindparam("user"))
            .values(public_id=sa.bindparam("uuid")),
            [{"user": user, "uuid": uuid7()} for user in ids[start : start + BATCH]],
        )


def _name_rows(connection) -> None:
    """Each row gets a v7 UUID, and 1, 2, ... per user in the order the rows were created."""
    order = (rows.c.user_id, rows.c.id)
    owner, counted, position = None, 0, None
    while True:
        query = sa.select(*order).order_by(*order).limit(BATCH)
        if position is not None:
            query = query.where(sa.tuple_(*order) > sa.tuple_(*position))
        batch = connection.execute(query).all()
        if not batch:
            break
        named = []
        for row in batch:
            counted = counted + 1 if row.user_id == owner else 1
            owner = row.user_id
            named.append({"row": row.id, "uuid": uuid7(), "created": counted})
        connection.execute(
            rows.update()
            .where(rows.c.id == sa.bindparam("row"))
            .values(public_id=sa.bindparam("uuid"), created_version=sa.bindparam("created")),
            named,
        )
        position = tuple(batch[-1])


def _forget_tombstones() -> None:
    """Tombstones become keyed by public id; the old ones name ids no client will hold, so
    every user's changes so far are forgotten: any `since` but 0 is answered 410."""
    op.drop_table("deleted_transactions")
    _create_tombstones(sa.Column("public_id", sa.Uuid(), nullable=False), "public_id")
    op.execute("UPDATE users SET forgotten_through = server_knowledge + 1")


def _create_tombstones(id_column: sa.Column, id_name: str) -> None:
    op.create_table(
        "deleted_transactions",
        sa.Column("user_id", sa.Integer(), nullable=False),
        id_column,
        sa.Column("type", KIND, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", id_name),
    )
    op.create_index(
        "ix_deleted_transactions_user_version", "deleted_transactions", ["user_id", "version"]
    )


def _rewrite_idempotent_answers(connection) -> None:
    """A replayed answer names its row by public id (a deleted row's gets a fresh one), with
    the ETag of the row as that answer shows it (the version it gives, else the row's)."""
    op.add_column("idempotency_keys", sa.Column("public_id", sa.Uuid(), nullable=True))
    of_its_row = (rows.c.user_id == records.c.user_id, rows.c.id == records.c.transaction_id)
    public_id = sa.select(rows.c.public_id).where(*of_its_row).scalar_subquery()
    version = sa.select(rows.c.version).where(*of_its_row).scalar_subquery()
    found = connection.execute(
        sa.select(records.c.user_id, records.c.key, records.c.response, public_id, version)
    ).all()
    for user_id, key, response, public_id, version in found:
        public_id = public_id or uuid7()
        answer = ANSWER_DECODER.decode(response)
        answer["id"] = str(public_id)
        version = answer.get("version") or version or 1
        connection.execute(
            records.update()
            .where(records.c.user_id == user_id, records.c.key == key)
            .values(
                public_id=public_id,
                response=ANSWER_ENCODER.encode(answer).decode(),
                etag=_etag(public_id, answer["created_at"], version),
            )
        )
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("transaction_id")
        batch.alter_column(
            "public_id", new_column_name="transaction_id", existing_type=sa.Uuid(), nullable=False
        )


def _etag(public_id, created_at: str, version: int) -> str:
    """A row's ETag as cashman.models.etag makes it at this revision."""
    return hashlib.sha256(f"{public_id}:{created_at}:{version}".encode()).hexdigest()[:32]


def downgrade():
    """Back to integer ids: stored answers and tombstones (of public ids) are dropped."""
    op.execute("DELETE FROM idempotency_keys")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("transaction_id")
        batch.add_column(sa.Column("transaction_id", sa.BigInteger(), nullable=False))
    op.drop_table("deleted_transactions")
    _create_tombstones(
        sa.Column("transaction_id", sa.BigInteger(), nullable=False), "transaction_id"
    )
    op.execute("UPDATE users SET forgotten_through = server_knowledge + 1")
    for name in (*NEW_INDEXES, "uq_transactions_user_public_id"):
        op.drop_index(name, table_name="transactions")
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("created_version")
        batch.drop_column("public_id")
    for name, columns in OLD_INDEXES.items():
        op.create_index(name, "transactions", columns)
    op.drop_index("uq_users_public_id", table_name="users")
    with _users_batch() as batch:
        batch.drop_column("public_id")
