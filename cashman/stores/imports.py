"""Rows created in bulk, in batches inside one database transaction: an import, with its
duplicates skipped, and a seed (`flask seed`).

A row with an `id` is a duplicate when the user has that id (whatever its content). A row
without one is a duplicate of a stored row of the same type, date, amount and description: the
n-th such row of the file matches the n-th stored one, so a file with three identical coffees
against two stored creates one. Stored means stored before the import: rows it creates match
nothing. The user's write lock is taken before the first batch is written (a file refused in its
first batch never takes it) and held to the end, so the counts stay true and the new rows'
versions are consecutive.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, select

from ..database import db, request_connection
from ..models import Kind, Transaction
from ..money import to_cents
from .totals import advance_counter, lock_counter
from .writes import add_rows, find_rows, new_row

Key = tuple[Kind, date, int, str]  # type, date, amount in cents, description

STORED_ON = (
    select(
        Transaction.type,
        Transaction.date,
        Transaction.amount_cents,
        Transaction.description,
        func.count(),
    )
    .where(
        Transaction.user_id == bindparam("user_id"),
        Transaction.date.in_(bindparam("dates", expanding=True)),
        Transaction.created_version <= bindparam("before"),
    )
    .group_by(Transaction.type, Transaction.date, Transaction.amount_cents, Transaction.description)
)


def key_of(kind: Kind, content: dict[str, Any]) -> Key:
    return (kind, content["date"], to_cents(content["amount"]), content["description"])


class Import:
    """One user's import, fed a batch of valid rows at a time; `finish` commits or discards it."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.before: int | None = None  # the counter when the lock was taken, at the first batch
        self.knowledge = 0
        self.unmatched: dict[Key, int] = {}  # stored rows no row of the file has matched yet
        self.dates_read: set[date] = set()
        self.created = self.skipped_duplicates = 0

    def add(self, rows: list[tuple[Kind, dict[str, Any]]]) -> None:
        """Create the rows that are no duplicates, in one executemany."""
        if not rows:
            return
        if self.before is None:  # first: the lock keeps the counts true to the end
            self.before = self.knowledge = lock_counter(self.user_id)
        ids = [content["id"] for _, content in rows if "id" in content]
        known = set(find_rows(self.user_id, ids)) if ids else set()
        self._read_stored({content["date"] for _, content in rows if "id" not in content})
        new_rows = []
        for kind, content in rows:
            if self._is_duplicate(kind, content, known):
                self.skipped_duplicates += 1
                continue
            self.knowledge += 1
            new_rows.append(new_row(self.user_id, kind, content, self.knowledge))
        add_rows(self.user_id, new_rows)
        self.created += len(new_rows)

    def finish(self, keep: bool) -> None:
        """Commit everything (`keep`), or write nothing: a dry run, or a file with a bad row."""
        if not keep or self.before is None:
            db.session.rollback()
            return
        advance_counter(self.user_id, self.knowledge)
        db.session.commit()

    def _is_duplicate(self, kind: Kind, content: dict[str, Any], known: set) -> bool:
        if "id" in content:
            duplicate = content["id"] in known
            known.add(content["id"])  # a second row with the id in the file is one, too
            return duplicate
        key = key_of(kind, content)
        if self.unmatched.get(key, 0) > 0:
            self.unmatched[key] -= 1
            return True
        return False

    def _read_stored(self, dates: set[date]) -> None:
        """Count the stored rows on these dates by key (once per date)."""
        dates -= self.dates_read
        if not dates:
            return
        bound = {"user_id": self.user_id, "dates": sorted(dates), "before": self.before}
        for kind, day, cents, description, count in request_connection().execute(STORED_ON, bound):
            self.unmatched[(kind, day, cents, description)] = count
        self.dates_read |= dates


def append_rows(
    user_id: int, rows: Iterable[tuple[Kind, dict[str, Any]]], batch: int = 5000
) -> int:
    """Create every row (no duplicate check) under the user's next versions, a batch at a time,
    and commit; return how many. Under the user's write lock, as any write."""
    knowledge = start = lock_counter(user_id)
    pending: list[dict[str, Any]] = []
    for kind, content in rows:
        knowledge += 1
        pending.append(new_row(user_id, kind, content, knowledge))
        if len(pending) == batch:
            add_rows(user_id, pending)
            pending.clear()
    add_rows(user_id, pending)
    advance_counter(user_id, knowledge)
    db.session.commit()
    return knowledge - start
