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
from uuid import UUID

from flask import current_app
from sqlalchemy import Result, Row, delete
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import Conflict, NotFound, UnprocessableEntity

from ..database import db, request_connection
from ..filters import Filters
from ..i18n import _
from ..models import IdempotencyRecord, Kind, etag
from .reads import MONTH, Totals, bound_values, statement
from .sync import forget_old_tombstones
from .writes import delete_row, find_rows, insert_row, same_content, update_row

EXPORT_BATCH = 1000
WRITE_ATTEMPTS = 3

Check = Callable[[Row], None]


def _accept(row: Row) -> None:
    """The default check: any version of the row may be changed."""


@dataclass(frozen=True)
class Retry:
    """An `Idempotency-Key` and the fingerprint of the request that first used it."""

    key: str
    request_hash: str


@dataclass(frozen=True)
class Stored:
    """What a create answers: the row's JSON, its id and ETag, and whether this request made it."""

    body: dict[str, Any]
    transaction_id: UUID
    etag: str
    created: bool

    @classmethod
    def replayed(cls, record: IdempotencyRecord) -> "Stored":
        return cls(record.response, record.transaction_id, record.etag, True)

    def record(self, user_id: int, retry: Retry, created_at: datetime) -> IdempotencyRecord:
        """The record that replays this answer to the retry's key."""
        return IdempotencyRecord(
            user_id=user_id,
            key=retry.key,
            request_hash=retry.request_hash,
            transaction_id=self.transaction_id,
            etag=self.etag,
            response=self.body,
            created_at=created_at,
        )


class TransactionStore:
    """One user's incomes and expenses."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    # Reading

    def page(
        self, filters: Filters, limit: int, after: tuple[date, int] | None = None
    ) -> list[Row]:
        """Return up to `limit` rows newest first, after the (date, created_version) position."""
        return self._read("page", filters, after, limit=limit).all()

    def batches(self, filters: Filters) -> Iterator[list[Row]]:
        """Yield every matching row newest first, a batch at a time (memory stays flat)."""
        after = None
        while batch := self.page(filters, EXPORT_BATCH, after):
            yield batch
            after = (batch[-1].date, batch[-1].created_version)

    def get(self, public_id: UUID, kind: Kind) -> Row:
        """Return one of the user's rows of this kind, or raise 404."""
        row = self._read("item", Filters(kind=kind), public_id=public_id).first()
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

    def add(
        self,
        kind: Kind,
        content: dict[str, Any],
        render: Callable[[Row], dict[str, Any]],
        retry: Retry | None = None,
    ) -> Stored:
        """Record a new transaction, under the client's `id` if it gives one.

        An id the user already has is a retried create when the stored row has the same kind
        and content (nothing changes; `created` is False), and a 409 otherwise. With a `retry`
        key, an earlier answer to it is replayed; a new answer is stored with the row, in the
        same commit. Two concurrent requests with one key race on the key's primary key: the
        loser's row is rolled back and it gets the winner's answer.
        """
        if retry is not None and (record := self.replay(retry)) is not None:
            return Stored.replayed(record)
        row = insert_row(self.user_id, kind, content)
        if row is None:
            db.session.rollback()
            existing = self._same(kind, content)
            return Stored(render(existing), existing.public_id, etag(existing), created=False)
        stored = Stored(render(row), row.public_id, etag(row), True)
        if retry is not None:
            db.session.add(stored.record(self.user_id, retry, row.created_at))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if retry is None or (winner := self.replay(retry)) is None:
                raise
            return Stored.replayed(winner)
        return stored

    def update(
        self, public_id: UUID, kind: Kind, fields: dict[str, Any], check: Check = _accept
    ) -> Row:
        """Change the given fields of one of the user's rows, or raise 404.

        `check` sees the row first and may refuse it (an outdated If-Match). Fields that already
        have the given values change nothing: no new version, no new `updated_at`.
        """

        def change(row: Row) -> Row | None:
            changes = {name: value for name, value in fields.items() if row._mapping[name] != value}
            return update_row(self.user_id, row, changes) if changes else row

        return self._write_latest(public_id, kind, check, change)

    def delete(self, public_id: UUID, kind: Kind, check: Check = _accept) -> None:
        """Delete one of the user's rows, or raise 404; `check` as for `update`."""

        def remove(row: Row) -> Row | None:
            if delete_row(self.user_id, row) is None:
                return None
            forget_old_tombstones(self.user_id)
            return row

        self._write_latest(public_id, kind, check, remove)

    # Helpers

    def _same(self, kind: Kind, content: dict[str, Any]) -> Row:
        """The stored row with the id of a create that inserted nothing, if it is that create."""
        row = find_rows(self.user_id, [content["id"]]).get(content["id"])
        if row is None:  # deleted since the insert found it
            raise Conflict(_("The transaction is being changed by other requests; try again."))
        if not same_content(row, kind, content):
            raise Conflict(_("You already have a transaction with this id and other content."))
        return row

    def _write_latest(
        self, public_id: UUID, kind: Kind, check: Check, write: Callable[[Row], Row | None]
    ) -> Row:
        """Read the row, check it, write it; if another request changed it meanwhile, again.

        Every UPDATE and DELETE names the version it read, so a write based on a stale read
        changes nothing (`write` gives None) instead of overwriting; `check` then judges the
        fresh row, which is what would really be overwritten.
        """
        for _attempt in range(WRITE_ATTEMPTS):
            row = self.get(public_id, kind)
            check(row)
            if (written := write(row)) is not None:
                db.session.commit()
                return written
            db.session.rollback()
        raise Conflict(_("The transaction is being changed by other requests; try again."))

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
