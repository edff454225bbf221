"""Sessions: each login's device and last activity, and its rotating refresh token.

A login from before has no `refresh_jti`: its refresh token is taken once and rotated then.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("logins") as batch:
        batch.add_column(
            sa.Column("device", sa.String(length=100), server_default="unknown", nullable=False)
        )
        batch.add_column(sa.Column("last_active_at", Timestamp, nullable=True))
        batch.add_column(sa.Column("refresh_jti", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("spent_refresh_jti", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("rotated_at", Timestamp, nullable=True))
    op.execute("UPDATE logins SET last_active_at = created_at")
    with op.batch_alter_table("logins") as batch:
        batch.alter_column("last_active_at", existing_type=Timestamp, nullable=False)


def downgrade():
    with op.batch_alter_table("logins") as batch:
        for column in (
            "rotated_at",
            "spent_refresh_jti",
            "refresh_jti",
            "last_active_at",
            "device",
        ):
            batch.drop_column(column)
