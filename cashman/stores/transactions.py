"""The per-user transaction store: one user's transactions, read, and changed one at a time.

Every query is bound to one user, so no route can forget the owner filter, and "absent",
"of the other kind" and "someone else's" are one and the same 404. Every read and write returns
plain rows of `Transaction.listed()` columns (no ORM objects), the one shape that becomes JSON.
Writes go through the user's `Ledger` (cashman.stores.ledger), which keeps the versions, the
running totals and the tombstones in the same database transaction.
"""

from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Result, Row
from werkzeug.exceptions import Conflict, NotFound

from ..database import request_connection
from ..filters import Filters
from ..i18n import _
from ..models import Kind
from .ledger import Ledger, same_content
from .reads import MONTH, Totals, bound_values, statement

EXPORT_BATCH = 1000


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
        """How many rows match; constant time when only the kind, account or currency narrow
        them."""
        read = "running_count" if filters.by_account else "count"
        return int(self._read(read, filters).scalar_one())

    def totals(self, filters: Filters) -> Totals:
        """Income, expenses and their count of the matching rows in `filters.currency`, summed
        by the database in minor units (a transfer's legs are neither)."""
        read = "running" if filters.by_account else "sums"
        sums = (int(value) for value in self._read(read, filters).one())
        return Totals(filters.currency, *sums)

    def summary(self, group: str, filters: Filters) -> list[Totals]:
        """Totals in `filters.currency` per month ("2026-11") or per category (None:
        uncategorised), ordered by key."""
        keys = len(MONTH) if group == "month" else 1
        groups = []
        for row in self._read(group, filters):
            key = f"{int(row[0]):04d}-{int(row[1]):02d}" if group == "month" else row[0]
            sums = (int(value) for value in row[keys:])
            groups.append(Totals(filters.currency, *sums, key=key))
        # Sorted here, not by the database, so that every engine's collation gives one order.
        return sorted(groups, key=lambda group: (group.key is None, group.key or ""))

    # Writing (the caller decides what: If-Match, Idempotency-Key; cashman.resources.safe_writes)

    def ledger(self) -> Ledger:
        """The writer of the user's rows, for a change in this request's transaction."""
        return Ledger(self.user_id)

    def created_before(self, kind: Kind, content: dict[str, Any]) -> Row:
        """The stored row with the id of a create that inserted nothing, if it is that create
        (a retry); a 409 if it has other content, or was deleted since the insert found it."""
        row = self.ledger().find([content["id"]]).get(content["id"])
        if row is None:
            raise Conflict(_("The transaction is being changed by other requests; try again."))
        if not same_content(row, kind, content):
            raise Conflict(_("You already have a transaction with this id and other content."))
        return row

    def change(self, row: Row, fields: dict[str, Any]) -> Row | None:
        """Give the row the fields that differ and commit; None (nothing written) if it is no
        longer the version read. Fields that already have the given values change nothing: no
        new version, no new `updated_at`."""
        changes = {name: value for name, value in fields.items() if row._mapping[name] != value}
        if not changes:
            return row
        ledger = self.ledger()
        if (written := ledger.update(row, changes)) is None:
            ledger.discard()
            return None
        ledger.commit()
        return written

    def remove(self, row: Row) -> Row | None:
        """Delete the row, leave its tombstone, commit and return it; None (nothing written) if
        it is no longer the version read."""
        ledger = self.ledger()
        if ledger.delete(row) is None:
            ledger.discard()
            return None
        ledger.commit()
        return row

    # Helpers

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
