"""Rows created in bulk, in batches inside one database transaction: an import, with its
duplicates skipped, and a seed (`flask demo`, `flask seed`).

A row with an `id` is a duplicate when the user has that id (whatever its content). A row
without one is a duplicate of a stored row of the same account, type, date, amount and
description: the
n-th such row of the file matches the n-th stored one, so a file with three identical coffees
against two stored creates one. Stored means stored before the import: rows it creates match
nothing. The user's write lock is taken before the first batch is written (a file refused in its
first batch never takes it) and held to the end, so the counts stay true and the new rows'
versions are consecutive.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from marshmallow import ValidationError
from sqlalchemy import bindparam, func, select

from ..database import request_connection
from ..errors import flat_messages
from ..models import Kind, Transaction
from .accounts import AccountStore
from .ledger import Ledger
from .pricing import priced

Key = tuple[UUID, Kind, date, int, str]  # account, type, date, amount in minor units, description
KEYED_BY = (
    Transaction.account_id,
    Transaction.type,
    Transaction.date,
    Transaction.amount_minor,
    Transaction.description,
)
STORED_ON = (
    select(*KEYED_BY, func.count())
    .where(
        Transaction.user_id == bindparam("user_id"),
        Transaction.date.in_(bindparam("dates", expanding=True)),
        Transaction.created_version <= bindparam("before"),
    )
    .group_by(*KEYED_BY)
)


def key_of(kind: Kind, content: dict[str, Any]) -> Key:
    amount, description = content["amount_minor"], content["description"]
    return (content["account_id"], kind, content["date"], amount, description)


class Import:
    """One user's import, fed a batch of valid rows at a time; `finish` commits or discards it."""

    def __init__(self, user_id: int) -> None:
        self.ledger = Ledger(user_id)
        self.accounts = AccountStore(user_id)
        self.before: int | None = None  # the counter when the lock was taken, at the first batch
        self.unmatched: dict[Key, int] = {}  # stored rows no row of the file has matched yet
        self.dates_read: set[date] = set()
        self.created = self.skipped_duplicates = 0

    def priced(
        self, kind: Kind, fields: dict[str, Any], account_id: UUID | None
    ) -> tuple[Kind, dict[str, Any]] | dict[str, list[str]]:
        """A valid row in its account (its `account_id`, the file's, or the default), or why
        it does not fit there."""
        if account_id is not None:
            fields = {"account_id": account_id, **fields}
        try:
            return kind, self.accounts.new_row(fields)
        except ValidationError as error:
            return flat_messages(error.messages)

    def add(self, rows: list[tuple[Kind, dict[str, Any]]]) -> None:
        """Create the rows that are no duplicates, in one executemany."""
        if not rows:
            return
        if self.before is None:  # first: the lock keeps the counts true to the end
            self.before = self.ledger.lock()
        ids = [content["id"] for _, content in rows if "id" in content]
        known = set(self.ledger.find(ids)) if ids else set()
        self._read_stored({content["date"] for _, content in rows if "id" not in content})
        for kind, content in rows:
            if self._is_duplicate(kind, content, known):
                self.skipped_duplicates += 1
                continue
            self.ledger.stage(kind, content)
            self.created += 1
        self.ledger.write_staged()

    def finish(self, keep: bool) -> None:
        """Commit everything (`keep`), or write nothing: a dry run, or a file with a bad row."""
        if not keep or self.before is None:
            self.ledger.discard()
            return
        self.ledger.commit()

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
        bound = {"user_id": self.ledger.user_id, "dates": sorted(dates), "before": self.before}
        for *key, count in request_connection().execute(STORED_ON, bound):
            self.unmatched[tuple(key)] = count
        self.dates_read |= dates


def seed_rows(user_id: int, rows: Iterable[tuple[Kind, dict[str, Any]]], batch: int = 5000) -> int:
    """Create every row (no duplicate check) under the user's next versions, a batch at a time,
    and commit; return how many (`flask demo`, `flask seed`). A row goes into its
    `account_id` (of its `currency`), else the default account."""
    ledger = Ledger(user_id)
    start = ledger.lock()
    default = AccountStore(user_id).default()
    for count, (kind, fields) in enumerate(rows, start=1):
        account_id = fields.get("account_id", default.public_id)
        currency = fields.get("currency", default.currency)
        ledger.stage(kind, priced(fields, account_id, currency))
        if count % batch == 0:
            ledger.write_staged()
    created = ledger.knowledge - start
    ledger.commit()
    return created
