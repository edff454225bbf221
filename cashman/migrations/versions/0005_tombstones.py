"""Tombstones of deleted rows, and an index of each user's rows by version (GET /sync).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "users", sa.Column("forgotten_through", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_table(
        "deleted_transactions",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "INCOME",
                "EXPENSE",
                name="ck_deleted_type",
                native_enum=False,
                length=7,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "transaction_id"),
    )
    op.create_index(
        "ix_deleted_transactions_user_version", "deleted_transactions", ["user_id", "version"]
    )
    op.create_index("ix_transactions_user_version", "transactions", ["user_id", "version"])


def downgrade():
    op.drop_index("ix_transactions_user_version", "transactions")
    op.drop_table("deleted_transactions")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("forgotten_through")
