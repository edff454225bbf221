"""The per-user transaction store: the only code that reads or writes transactions.

Every query is bound to one user, so no route can forget the owner filter, and "absent",
"of the other kind" and "someone else's" are one and the same 404. Every read and write returns
plain rows of `Transaction.listed()` columns (no ORM objects), the one shape that becomes JSON.
Writes keep the user's running totals in the same database transaction, so counts and balances
never drift.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import Result, Row, delete, insert, update
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import Conflict, NotFound, UnprocessableEntity

from ..database import db, request_connection, write_connection
from ..filters import Filters, fold
from ..i18n import _
from ..models import IdempotencyRecord, Kind, Transaction, etag
from ..money import to_cents
from .reads import MONTH, Totals, bound_values, statement
from .sync import bury
from .totals import add_to_totals, next_version

EXPORT_BATCH = 1000
WRITE_ATTEMPTS = 3
INSERT = insert(Transaction).returning(*Transaction.listed())

Check = Callable[[Row], None]


def _accept(row: Row) -> None:
    """The default check: any version of the row may be changed."""


@dataclass(frozen=True)
class Retry:
    """An `Idempotency-Key` and the fingerprint of the request that first used it."""

    key: str
    request_hash: str


class TransactionStore:
    """One user's incomes and expenses."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    # Reading

    def page(
        self, filters: Filters, limit: int, after: tuple[date, int] | None = None
    ) -> list[Row]:
        """Return up to `limit` rows newest first, starting after the (date, id) position."""
        return self._read("page", filters, after, limit=limit).all()

    def batches(self, filters: Filters) -> Iterator[list[Row]]:
        """Yield every matching row newest first, a batch at a time (memory stays flat)."""
        after = None
        while batch := self.page(filters, EXPORT_BATCH, after):
            yield batch
            after = (batch[-1].date, batch[-1].id)

    def get(self, transaction_id: int, kind: Kind) -> Row:
        """Return one of the user's rows of this kind, or raise 404."""
        row = self._read("item", Filters(kind=kind), transaction_id=transaction_id).first()
        if row is None:
            raise NotFound()
        return row

    def count(self, filters: Filters) -> int:
        """How many rows match; constant time when only the kind narrows them."""
        if filters.only_kind:
            return self.totals(filters).count
        return self._read("count", filters).scalar_one()

    def totals(self, filters: Filters) -> Totals:
        """Income, expenses and count of the matching rows, summed by the database in cents."""
        read = "running" if filters.only_kind else "sums"
        return Totals(*(int(value) for value in self._read(read, filters).one()))

    def summary(self, group: str, filters: Filters) -> list[Totals]:
        """Totals per month ("2026-11") or per category (None: uncategorised), ordered by key."""
        keys = len(MONTH) if group == "month" else 1
        groups = []
        for row in self._read(group, filters):
            key = f"{int(row[0]):04d}-{int(row[1]):02d}" if group == "month" else row[0]
            groups.append(Totals(*(int(value) for value in row[keys:]), key=key))
        # Sorted here, not by the database, so that every engine's collation gives one order.
        return sorted(groups, key=lambda group: (group.key is None, group.key or ""))

    def replay(self, retry: Retry) -> IdempotencyRecord | None:
        """Return the record of an earlier POST with this key, if it is still kept.

        Records older than IDEMPOTENCY_KEY_TTL are deleted first; a key reused for a different
        request is a 422.
        """
        cutoff = datetime.now(UTC) - current_app.config["IDEMPOTENCY_KEY_TTL"]
        db.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.user_id == self.user_id, IdempotencyRecord.created_at < cutoff
            )
        )
        record = db.session.get(IdempotencyRecord, (self.user_id, retry.key))
        if record is not None and record.request_hash != retry.request_hash:
            raise UnprocessableEntity(
                _("This Idempotency-Key was already used for a different request.")
            )
        return record

    # Writing

    def add(self, kind: Kind, fields: dict[str, Any]) -> Row:
        """Record a new transaction."""
        row = self._insert(kind, fields)
        db.session.commit()
        return row

    def add_once(
        self, kind: Kind, fields: dict[str, Any], retry: Retry, render: Callable[[Row], Any]
    ) -> IdempotencyRecord:
        """Record a new transaction and, in the same commit, its key with the body `render` gives.

        Two concurrent requests with one key race on the key's primary key: the loser's row is
        rolled back and it gets the winner's record instead.
        """
        row = self._insert(kind, fields)
        record = IdempotencyRecord(
            user_id=self.user_id,
            key=retry.key,
            request_hash=retry.request_hash,
            transaction_id=row.id,
            etag=etag(row),
            response=render(row),
            created_at=row.created_at,
        )
        db.session.add(record)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if (winner := self.replay(retry)) is None:
                raise
            return winner
        return record

    def update(
        self, transaction_id: int, kind: Kind, fields: dict[str, Any], check: Check = _accept
    ) -> Row:
        """Change the given fields of one of the user's rows, or raise 404.

        `check` sees the row first and may refuse it (an outdated If-Match). Fields that already
        have the given values change nothing: no new version, no new `updated_at`.
        """

        def change(row: Row) -> Row | None:
            changes = {name: value for name, value in fields.items() if row._mapping[name] != value}
            if not changes:
                return row
            version = next_version(self.user_id)  # first: the user's row lock orders writers
            if "description" in changes:
                changes["search_text"] = fold(changes["description"])
            if "amount" in changes:
                changes["amount_cents"] = to_cents(changes.pop("amount"))
                add_to_totals(self.user_id, kind, 0, changes["amount_cents"] - to_cents(row.amount))
            statement = (
                update(Transaction)
                .where(*self._version_of(row))
                .values(**changes, updated_at=datetime.now(UTC), version=version)
                .returning(*Transaction.listed())
            )
            return write_connection().execute(statement).first()

        return self._write_latest(transaction_id, kind, check, change)

    def delete(self, transaction_id: int, kind: Kind, check: Check = _accept) -> None:
        """Delete one of the user's rows, or raise 404; `check` as for `update`."""

        def remove(row: Row) -> Row | None:
            version = next_version(self.user_id)  # first: the user's row lock orders writers
            result = write_connection().execute(delete(Transaction).where(*self._version_of(row)))
            if result.rowcount == 0:
                return None
            add_to_totals(self.user_id, kind, -1, -to_cents(row.amount))
            bury(self.user_id, row, version)
            return row

        self._write_latest(transaction_id, kind, check, remove)

    # Helpers

    def _write_latest(
        self, transaction_id: int, kind: Kind, check: Check, write: Callable[[Row], Row | None]
    ) -> Row:
        """Read the row, check it, write it; if another request changed it meanwhile, again.

        Every UPDATE and DELETE names the version it read, so a write based on a stale read
        changes nothing (`write` gives None) instead of overwriting; `check` then judges the
        fresh row, which is what would really be overwritten.
        """
        for _attempt in range(WRITE_ATTEMPTS):
            row = self.get(transaction_id, kind)
            check(row)
            if (written := write(row)) is not None:
                db.session.commit()
                return written
            db.session.rollback()
        raise Conflict(_("The transaction is being changed by other requests; try again."))

    def _version_of(self, row: Row) -> tuple:
        """The WHERE clause naming exactly this version of one of the user's rows."""
        return (
            Transaction.id == row.id,
            Transaction.user_id == self.user_id,
            Transaction.version == row.version,
        )

    def _read(
        self, read: str, filters: Filters, after: tuple[date, int] | None = None, **values: Any
    ) -> Result:
        """Run a prebuilt read for this user with the filters' values bound.

        On the request's connection (the one the token check used), without the ORM's
        per-statement work: reads return plain rows.
        """
        narrowed_by, bound = bound_values(filters, after)
        query = statement(read, narrowed_by)
        return request_connection().execute(query, {"user_id": self.user_id, **bound, **values})

    def _insert(self, kind: Kind, fields: dict[str, Any]) -> Row:
        values = {name: value for name, value in fields.items() if name != "amount"}
        values |= {
            "amount_cents": to_cents(fields["amount"]),
            "user_id": self.user_id,
            "type": kind,
            "search_text": fold(fields["description"]),
        }
        values["created_at"] = values["updated_at"] = datetime.now(UTC)
        values["version"] = next_version(self.user_id)
        row = write_connection().execute(INSERT, values).one()
        add_to_totals(self.user_id, kind, 1, values["amount_cents"])
        return row
