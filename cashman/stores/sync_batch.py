"""POST /sync: an offline client's batch of upserts and deletes, applied in order, each on its
own, in one database transaction.

The user's write lock is taken first, so the rows read next stay as read until the commit: no
other write of the user's can slip between a check and its write, and the batch's versions are
consecutive. A change that cannot apply (a conflict, invalid fields) writes nothing and the
others go on.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from marshmallow import ValidationError
from sqlalchemy import Row

from ..errors import flat_messages
from ..i18n import _
from ..models import CONTENT, Kind
from .accounts import AccountStore
from .ledger import Ledger, same_content
from .sync_objects import ObjectChanges


@dataclass(frozen=True)
class ClientChange:
    """One change of a batch as loaded: `fields` are an upsert's validated content, `errors`
    say why the change is invalid."""

    op: str  # "upsert", "delete", or an account's or a transfer's (cashman.stores.sync_objects)
    id: UUID
    base_version: int | None = None
    kind: Kind | None = None
    fields: dict[str, Any] | None = None
    errors: dict[str, list[str]] | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of one change; `current` is the server's row on a conflict."""

    id: UUID
    status: str
    version: int | None = None
    current: Row | None = None
    errors: dict[str, list[str]] | None = None


class SyncBatch:
    """The rows a batch touches, as they are now, under the user's write lock.

    New rows are staged in the ledger and go in one executemany: when a change names one of
    them again, and at the end.
    """

    def __init__(self, user_id: int) -> None:
        self.ledger = Ledger(user_id)
        self.accounts = AccountStore(user_id)
        self.objects = ObjectChanges(self.ledger)
        self.rows: dict[UUID, Row | None] = {}
        self.staged: set[UUID] = set()

    def lock(self) -> None:
        """Take the user's write lock first: the rows read next stay as read to the commit."""
        self.ledger.lock()

    @property
    def knowledge(self) -> int:
        """The user's counter after the changes applied so far."""
        return self.ledger.knowledge

    def apply(self, changes: list[ClientChange]) -> list[Outcome]:
        """Apply the changes in order (under the lock); what became of each. Nothing is
        committed yet."""
        self.rows = self.ledger.find(list({change.id for change in changes}))
        outcomes = [self._apply(change) for change in changes]
        self._write_staged()
        return outcomes

    def _apply(self, change: ClientChange) -> Outcome:
        if change.errors is not None:
            return Outcome(change.id, "invalid", errors=change.errors)
        if change.op not in ("upsert", "delete"):
            # The rows staged so far go in first, and their totals: the accounts they name are
            # read as they are now (a conflict shows the balance they make).
            self._write_staged()
            self.ledger.write_totals()
            return self.objects.apply(change, Outcome)
        if change.id in self.staged:
            self._write_staged()
        row = self.rows.get(change.id)
        if row is not None and row.type is Kind.TRANSFER:
            return Outcome(
                change.id, "invalid", errors={"id": [_("This row is part of a transfer.")]}
            )
        try:
            if change.op == "delete":
                return self._delete(row, change)
            return self._upsert(row, change)
        except ValidationError as error:  # the fields do not fit the account
            return Outcome(change.id, "invalid", errors=flat_messages(error.messages))

    def _upsert(self, row: Row | None, change: ClientChange) -> Outcome:
        if row is None:
            if change.base_version is not None:  # the client saw a row deleted since
                return Outcome(change.id, "conflict")
            today = datetime.now(UTC).date()
            fields = {"category": None, "date": today, **change.fields, "id": change.id}
            content = self.accounts.new_row(fields)
            self.staged.add(change.id)
            return Outcome(change.id, "created", version=self.ledger.stage(change.kind, content))
        if row.type is not change.kind:
            message = _("A transaction keeps its type: this one is {kind}.")
            return Outcome(
                change.id, "invalid", errors={"type": [message.format(kind=row.type.name)]}
            )
        priced = self.accounts.changed_row(row, change.fields)
        content = {name: priced.get(name, row._mapping[name]) for name in CONTENT}
        if same_content(row, change.kind, content):
            return Outcome(change.id, "unchanged")
        if change.base_version != row.version:
            return Outcome(change.id, "conflict", current=row)
        changes = {name: value for name, value in content.items() if row._mapping[name] != value}
        row = self.ledger.update(row, changes)  # under the lock, the version read is current
        self.rows[change.id] = row
        return Outcome(change.id, "updated", version=row.version)

    def _delete(self, row: Row | None, change: ClientChange) -> Outcome:
        if row is None:
            status = "unchanged" if change.base_version is None else "conflict"
            return Outcome(change.id, status)
        if change.base_version not in (None, row.version):
            return Outcome(change.id, "conflict", current=row)
        version = self.ledger.delete(row)
        self.rows[change.id] = None
        return Outcome(change.id, "deleted", version=version)

    def _write_staged(self) -> None:
        for row in self.ledger.write_staged(returning=True):
            self.rows[row.public_id] = row
        self.staged.clear()
