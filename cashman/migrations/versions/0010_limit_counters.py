"""Rate-limit counters in the database: a server without Redis counts logins, registrations and
password changes where every worker sees them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "limit_counters",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_limit_counters_expires_at", "limit_counters", ["expires_at"])


def downgrade():
    op.drop_index("ix_limit_counters_expires_at", table_name="limit_counters")
    op.drop_table("limit_counters")
