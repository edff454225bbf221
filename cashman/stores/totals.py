"""Each user's running counters, kept by every transaction write: the count and sum per kind,
and the change counter that gives each change its version.

The totals answer the unfiltered X-Total-Count and /balance in constant time, however many rows
the user owns. Only the transaction store calls these, inside the write's own database
transaction.
"""

from functools import cache

from sqlalchemy import Insert, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite

from ..database import write_connection
from ..models import Kind, TransactionTotal, User

COUNT_A_CHANGE = (
    update(User)
    .where(User.id == bindparam("user_id"))
    .values(server_knowledge=User.server_knowledge + 1)
    .returning(User.server_knowledge)
)

HOLD_THE_COUNTER = (
    update(User)
    .where(User.id == bindparam("user_id"))
    .values(server_knowledge=User.server_knowledge)
    .returning(User.server_knowledge)
)

ADVANCE_THE_COUNTER = (
    update(User)
    .where(User.id == bindparam("user_id"))
    .values(server_knowledge=bindparam("knowledge"))
)


def next_version(user_id: int) -> int:
    """Count one more change of the user's transactions and return its version.

    The UPDATE locks the user's row until the write commits (PostgreSQL; SQLite has one writer
    at a time), so versions are handed out once each and commit in their order.
    """
    return write_connection().execute(COUNT_A_CHANGE, {"user_id": user_id}).scalar_one()


def lock_counter(user_id: int) -> int:
    """Take the user's write lock without counting a change, and return the counter.

    A batch takes it before reading, so no other write of the user's slips in between.
    """
    return write_connection().execute(HOLD_THE_COUNTER, {"user_id": user_id}).scalar_one()


def advance_counter(user_id: int, knowledge: int) -> None:
    """Set the counter to the last version a batch handed out (under `lock_counter`'s lock)."""
    write_connection().execute(ADVANCE_THE_COUNTER, {"user_id": user_id, "knowledge": knowledge})


def add_to_totals(user_id: int, kind: Kind, count: int, cents: int) -> None:
    """Add to the user's running totals of one kind, creating them on first use."""
    connection = write_connection()
    connection.execute(
        _totals_upsert(connection.dialect.name),
        {"user_id": user_id, "type": kind, "count": count, "amount_cents": cents},
    )


def adding_to_totals(insert: Insert) -> Insert:
    """An INSERT into the running totals (of the postgresql or sqlite dialect) that adds to a
    total the user has already: ON CONFLICT DO UPDATE."""
    return insert.on_conflict_do_update(
        index_elements=["user_id", "type"],
        set_={
            "count": TransactionTotal.count + insert.excluded.count,
            "amount_cents": TransactionTotal.amount_cents + insert.excluded.amount_cents,
        },
    )


@cache
def _totals_upsert(dialect_name: str) -> Insert:
    """`adding_to_totals` with the values given, built once per engine."""
    return adding_to_totals(
        (postgresql if dialect_name == "postgresql" else sqlite).insert(TransactionTotal)
    )
