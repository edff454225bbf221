"""Covering paging indexes, running totals, row versions (ETags) and idempotency keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade():
    op.add_column(
        "transactions", sa.Column("version", sa.Integer(), server_default="1", nullable=False)
    )
    # Paging indexes that also cover amount_cents, so that filtered counts and sums (a date range,
    # a category) read only the index.
    op.drop_index("ix_transactions_user_date_id", table_name="transactions")
    op.create_index(
        "ix_transactions_user_date_id_cents",
        "transactions",
        ["user_id", "date", "id", "amount_cents"],
    )
    op.create_index(
        "ix_transactions_user_category_date_id_cents",
        "transactions",
        ["user_id", "category", "date", "id", "amount_cents"],
    )
    op.create_table(
        "transaction_totals",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "INCOME",
                "EXPENSE",
                name="ck_totals_type",
                native_enum=False,
                create_constraint=True,
                length=7,
            ),
            nullable=False,
        ),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "type"),
    )
    op.execute(
        "INSERT INTO transaction_totals (user_id, type, count, amount_cents) "
        "SELECT user_id, type, COUNT(*), SUM(amount_cents) FROM transactions "
        "GROUP BY user_id, type"
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "key"),
    )


def downgrade():
    op.drop_table("idempotency_keys")
    op.drop_table("transaction_totals")
    op.drop_index("ix_transactions_user_category_date_id_cents", table_name="transactions")
    op.drop_index("ix_transactions_user_date_id_cents", table_name="transactions")
    op.create_index("ix_transactions_user_date_id", "transactions", ["user_id", "date", "id"])
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("version")
