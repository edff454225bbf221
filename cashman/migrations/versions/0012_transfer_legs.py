"""A transfer's two legs are found by the transfer's id.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

LEGS = sa.text("transfer_id IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_transactions_user_transfer",
        "transactions",
        ["user_id", "transfer_id"],
        sqlite_where=LEGS,
        postgresql_where=LEGS,
    )


def downgrade() -> None:
    op.drop_index("ix_transactions_user_transfer", table_name="transactions")
