"""Each user's change counter; a row's version becomes the counter's value at its last change.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    op.add_column(
        "users", sa.Column("server_knowledge", sa.Integer(), server_default="0", nullable=False)
    )
    connection = op.get_bind()
    rows = sa.table(
        "transactions",
        sa.column("id"),
        sa.column("user_id"),
        sa.column("updated_at"),
        sa.column("version"),
    )
    users = sa.table("users", sa.column("id"), sa.column("server_knowledge"))
    # Each user's rows are numbered 1, 2, ... in the order they last changed.
    order = (rows.c.user_id, rows.c.updated_at, rows.c.id)
    owner, counted, position = None, 0, None
    while True:
        query = sa.select(*order).order_by(*order).limit(BATCH)
        if position is not None:
            query = query.where(sa.tuple_(*order) > sa.tuple_(*position))
        batch = connection.execute(query).all()
        if not batch:
            break
        numbered = []
        for row in batch:
            counted = counted + 1 if row.user_id == owner else 1
            owner = row.user_id
            numbered.append({"row_id": row.id, "numbered": counted})
        connection.execute(
            rows.update()
            .where(rows.c.id == sa.bindparam("row_id"))
            .values(version=sa.bindparam("numbered")),
            numbered,
        )
        position = tuple(batch[-1])
    counts = sa.select(sa.func.count()).where(rows.c.user_id == users.c.id).scalar_subquery()
    connection.execute(users.update().values(server_knowledge=counts))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("server_knowledge")
