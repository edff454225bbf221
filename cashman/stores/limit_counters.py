"""Rate-limit counters in the database: one row per limit and key, its count in a fixed window.

Each call is its own short transaction on a connection of its own, never the request's: a
counter must be counted whether the request's work commits or not, and a limit's commit must
not commit the request's half-done work. Times are the caller's (seconds since the epoch).
"""

import hashlib
from functools import cache

from sqlalchemy import Delete, Insert, bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from ..database import db
from ..models import LimitCounter

# At most this many windows that ended are deleted by each count: a few per call keeps the
# table as small as the live windows without a sweep of its own.
PURGED_PER_CALL = 100


class LimitCounterStore:
    """The counter of one limit's key (as the limiter names it: scope, username or address)."""

    def __init__(self, key: str) -> None:
        self.key = hashlib.sha256(key.encode()).hexdigest()

    def add(self, amount: int, window_seconds: float, now: float) -> int:
        """Add `amount` to the count of the window open at `now`, opening one of
        `window_seconds` if none is; return the new count (one atomic statement)."""
        with db.engine.begin() as connection:
            values = {"key": self.key, "count": amount, "expires_at": now + window_seconds}
            upsert = _counting_upsert(connection.dialect.name)
            count = connection.execute(upsert, {**values, "now": now}).scalar_one()
            connection.execute(_purge(), {"now": now})
        return count

    def count(self, now: float) -> int:
        """The count of the window open at `now` (0 if none is)."""
        return self._live(LimitCounter.count, now) or 0

    def expires_at(self, now: float) -> float:
        """When the window open at `now` ends (`now` if none is)."""
        return self._live(LimitCounter.expires_at, now) or now

    def clear(self) -> None:
        """Forget the counter."""
        with db.engine.begin() as connection:
            connection.execute(delete(LimitCounter).where(LimitCounter.key == self.key))

    def _live(self, column, now: float):
        query = select(column).where(LimitCounter.key == self.key, LimitCounter.expires_at > now)
        with db.engine.connect() as connection:
            return connection.execute(query).scalar()


def clear_all_counters() -> int:
    """Forget every counter; return how many there were."""
    with db.engine.begin() as connection:
        return connection.execute(delete(LimitCounter)).rowcount


@cache
def _counting_upsert(dialect_name: str) -> Insert:
    """INSERT ... ON CONFLICT DO UPDATE that adds to a live window or opens a new one (every
    SET reads the row as it was), built once per engine."""
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(LimitCounter)
    ended = LimitCounter.expires_at <= bindparam("now")
    return insert.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "count": case(
                (ended, insert.excluded.count), else_=LimitCounter.count + insert.excluded.count
            ),
            "expires_at": case((ended, insert.excluded.expires_at), else_=LimitCounter.expires_at),
        },
    ).returning(LimitCounter.count)


@cache
def _purge() -> Delete:
    """DELETE a few windows that ended, skipping rows another transaction holds (PostgreSQL; SQLite
    has one writer): a purge never waits, so it cannot deadlock with another count."""
    ended = (
        select(LimitCounter.key)
        .where(LimitCounter.expires_at <= bindparam("now"))
        .limit(PURGED_PER_CALL)
        .with_for_update(skip_locked=True)
    )
    return delete(LimitCounter).where(LimitCounter.key.in_(ended))
