"""POST /sync: an offline client's batch of upserts and deletes, applied in order, each on its
own, in one database transaction.

The user's write lock is taken first, so the rows read next stay as read until the commit: no
other write of the user's can slip between a check and its write, and the batch's versions are
consecutive (counted here; the counter is set once, at the end). An operation that cannot
apply (a conflict, invalid fields) writes nothing and the others go on.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from flask import current_app
from sqlalchemy import Row, delete

from ..database import db
from ..i18n import _
from ..models import CONTENT, Kind, ReplayedBatch
from .sync import forget_old_tombstones
from .totals import advance_counter, lock_counter
from .writes import delete_row, find_rows, insert_rows, new_row, same_content, update_row


@dataclass(frozen=True)
class Operation:
    """One operation as loaded: `fields` are an upsert's validated content, `errors` say why
    the operation is invalid."""

    op: str  # "upsert" or "delete"
    id: UUID
    base_version: int | None = None
    kind: Kind | None = None
    fields: dict[str, Any] | None = None
    errors: dict[str, list[str]] | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of one operation; `current` is the server's row on a conflict."""

    id: UUID
    status: str
    version: int | None = None
    current: Row | None = None
    errors: dict[str, list[str]] | None = None


Render = Callable[[int, list[Outcome]], dict[str, Any]]


def apply_operations(
    user_id: int, operations: list[Operation], render: Render, fingerprint: str | None = None
) -> dict[str, Any]:
    """Apply the operations in order and commit; the answer `render` makes of the user's
    counter after them and each operation's outcome.

    A batch with a `fingerprint` (one that names an id more than once, so that its operations
    alone would not make a retry harmless: a create and a delete of one id would run again) is
    answered once: its answer is kept in the same commit, and the same batch within
    IDEMPOTENCY_KEY_TTL gets it again and changes nothing.
    """
    batch = _Batch(user_id, list({operation.id for operation in operations}))
    if fingerprint is not None and (answer := _answer_kept(user_id, fingerprint)) is not None:
        db.session.rollback()
        return answer
    outcomes = [batch.apply(operation) for operation in operations]
    batch.finish(deleted=any(outcome.status == "deleted" for outcome in outcomes))
    answer = render(batch.knowledge, outcomes)
    if fingerprint is not None:
        db.session.add(ReplayedBatch(user_id=user_id, fingerprint=fingerprint, response=answer))
    db.session.commit()
    return answer


def _answer_kept(user_id: int, fingerprint: str) -> dict[str, Any] | None:
    """The kept answer to this batch, if any; answers older than IDEMPOTENCY_KEY_TTL are
    forgotten first."""
    cutoff = datetime.now(UTC) - current_app.config["IDEMPOTENCY_KEY_TTL"]
    db.session.execute(
        delete(ReplayedBatch).where(
            ReplayedBatch.user_id == user_id, ReplayedBatch.created_at < cutoff
        )
    )
    kept = db.session.get(ReplayedBatch, (user_id, fingerprint))
    return None if kept is None else kept.response


class _Batch:
    """The rows a batch touches, as they are now, and the versions it hands out.

    New rows wait in `pending` and go in one executemany: when an operation names one of them
    again, and at the end. Versions are counted here and the counter is set once, at the end.
    """

    def __init__(self, user_id: int, ids: list[UUID]) -> None:
        self.user_id = user_id
        self.knowledge = lock_counter(user_id)  # first: the lock keeps the rows read as read
        self.rows: dict[UUID, Row | None] = find_rows(user_id, ids)
        self.pending: dict[UUID, dict[str, Any]] = {}

    def apply(self, operation: Operation) -> Outcome:
        if operation.errors is not None:
            return Outcome(operation.id, "invalid", errors=operation.errors)
        if operation.id in self.pending:
            self._insert_pending()
        row = self.rows.get(operation.id)
        if operation.op == "delete":
            return self._delete(row, operation)
        return self._upsert(row, operation)

    def finish(self, deleted: bool) -> None:
        self._insert_pending()
        advance_counter(self.user_id, self.knowledge)
        if deleted:
            forget_old_tombstones(self.user_id)

    def _upsert(self, row: Row | None, operation: Operation) -> Outcome:
        if row is None:
            if operation.base_version is not None:  # the client saw a row deleted since
                return Outcome(operation.id, "conflict")
            today = datetime.now(UTC).date()
            content = {"category": None, "date": today, **operation.fields, "id": operation.id}
            version = self._next_version()
            self.pending[operation.id] = new_row(self.user_id, operation.kind, content, version)
            return Outcome(operation.id, "created", version=version)
        if row.type is not operation.kind:
            message = _("A transaction keeps its type: this one is {kind}.")
            return Outcome(
                operation.id, "invalid", errors={"type": [message.format(kind=row.type.name)]}
            )
        content = {name: operation.fields.get(name, row._mapping[name]) for name in CONTENT}
        if same_content(row, operation.kind, content):
            return Outcome(operation.id, "unchanged")
        if operation.base_version != row.version:
            return Outcome(operation.id, "conflict", current=row)
        changes = {name: value for name, value in content.items() if row._mapping[name] != value}
        row = update_row(self.user_id, row, changes, self._next_version())
        self.rows[operation.id] = row
        return Outcome(operation.id, "updated", version=row.version)

    def _delete(self, row: Row | None, operation: Operation) -> Outcome:
        if row is None:
            status = "unchanged" if operation.base_version is None else "conflict"
            return Outcome(operation.id, status)
        if operation.base_version not in (None, row.version):
            return Outcome(operation.id, "conflict", current=row)
        version = delete_row(self.user_id, row, self._next_version())
        self.rows[operation.id] = None
        return Outcome(operation.id, "deleted", version=version)

    def _next_version(self) -> int:
        self.knowledge += 1
        return self.knowledge

    def _insert_pending(self) -> None:
        if self.pending:
            for row in insert_rows(self.user_id, list(self.pending.values())):
                self.rows[row.public_id] = row
            self.pending.clear()
