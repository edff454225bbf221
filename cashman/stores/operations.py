"""POST /sync: an offline client's batch of upserts and deletes, applied in order, each on its
own, in one database transaction.

The user's write lock is taken first, so the rows read next stay as read until the commit: no
other write of the user's can slip between a check and its write, and the batch's versions are
consecutive. An operation that cannot apply (a conflict, invalid fields) writes nothing and the
others go on.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row

from ..database import db
from ..i18n import _
from ..models import CONTENT, Kind
from .sync import forget_old_tombstones
from .totals import lock_counter
from .writes import delete_row, find_rows, insert_row, same_content, update_row


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


def apply_operations(user_id: int, operations: list[Operation]) -> tuple[int, list[Outcome]]:
    """Apply the operations in order and commit; the user's counter after them, and each
    operation's outcome."""
    knowledge = lock_counter(user_id)
    rows: dict[UUID, Row | None] = find_rows(user_id, list({op.id for op in operations}))
    outcomes = []
    for operation in operations:
        if operation.errors is not None:
            outcome = Outcome(operation.id, "invalid", errors=operation.errors)
        elif operation.op == "delete":
            outcome = _delete(user_id, rows, operation)
        else:
            outcome = _upsert(user_id, rows, operation)
        knowledge = outcome.version or knowledge
        outcomes.append(outcome)
    if any(outcome.status == "deleted" for outcome in outcomes):
        forget_old_tombstones(user_id)
    db.session.commit()
    return knowledge, outcomes


def _upsert(user_id: int, rows: dict[UUID, Row | None], operation: Operation) -> Outcome:
    row = rows.get(operation.id)
    if row is None:
        if operation.base_version is not None:  # the client saw a row deleted since
            return Outcome(operation.id, "conflict")
        today = datetime.now(UTC).date()
        content = {"category": None, "date": today, **operation.fields, "id": operation.id}
        rows[operation.id] = row = insert_row(user_id, operation.kind, content)
        return Outcome(operation.id, "created", version=row.version)
    if row.type is not operation.kind:
        message = _("A transaction keeps its type: this one is {kind}.").format(kind=row.type.name)
        return Outcome(operation.id, "invalid", errors={"type": [message]})
    content = {name: operation.fields.get(name, row._mapping[name]) for name in CONTENT}
    if same_content(row, operation.kind, content):
        return Outcome(operation.id, "unchanged")
    if operation.base_version != row.version:
        return Outcome(operation.id, "conflict", current=row)
    changes = {name: value for name, value in content.items() if row._mapping[name] != value}
    rows[operation.id] = row = update_row(user_id, row, changes)
    return Outcome(operation.id, "updated", version=row.version)


def _delete(user_id: int, rows: dict[UUID, Row | None], operation: Operation) -> Outcome:
    row = rows.get(operation.id)
    if row is None:
        status = "unchanged" if operation.base_version is None else "conflict"
        return Outcome(operation.id, status)
    if operation.base_version not in (None, row.version):
        return Outcome(operation.id, "conflict", current=row)
    version = delete_row(user_id, row)
    rows[operation.id] = None
    return Outcome(operation.id, "deleted", version=version)
