"""Budgets per category and month, and a by-kind index that covers a month's expenses.

The index of a kind's rows by date gains category and amount_cents, so GET /budgets/<month>
reads the index alone.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BY_KIND = ["user_id", "type", "date", "created_version"]


def upgrade():
    op.create_table(
        "budgets",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name="ck_budgets_amount_positive"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "month", "category"),
    )
    op.drop_index("ix_transactions_user_type_date_created", table_name="transactions")
    op.create_index(
        "ix_transactions_user_type_date_created_category_cents",
        "transactions",
        [*BY_KIND, "category", "amount_cents"],
    )


def downgrade():
    op.drop_index(
        "ix_transactions_user_type_date_created_category_cents", table_name="transactions"
    )
    op.create_index("ix_transactions_user_type_date_created", "transactions", BY_KIND)
    op.drop_table("budgets")
