"""The description as `q` matches it, fully case-folded the same way on every engine.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from cashman.filters import fold

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    op.add_column(
        "transactions", sa.Column("search_text", sa.Text(), server_default="", nullable=False)
    )
    connection = op.get_bind()
    rows = sa.table("transactions", sa.column("id"), sa.column("description"))
    searched = sa.table("transactions", sa.column("id"), sa.column("search_text"))
    last_id = 0
    while batch := connection.execute(
        sa.select(rows.c.id, rows.c.description)
        .where(rows.c.id > last_id)
        .order_by(rows.c.id)
        .limit(BATCH)
    ).all():
        connection.execute(
            searched.update()
            .where(searched.c.id == sa.bindparam("row_id"))
            .values(search_text=sa.bindparam("folded")),
            [{"row_id": row.id, "folded": fold(row.description)} for row in batch],
        )
        last_id = batch[-1].id


def downgrade():
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("search_text")
