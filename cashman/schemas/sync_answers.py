"""What GET /sync answers (a page of the feed of changes) and what POST /sync answers (the
result of each operation of a batch)."""

from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from marshmallow import fields
from sqlalchemy import Row

from .accounts import AccountSchema, DeletedAccountSchema, account_schema
from .responses import DeletedSchema, ResponseSchema, TransactionSchema, transaction_rows
from .transfers import transfer_schema


def dump_current(current: Row | None) -> dict[str, Any] | None:
    """A conflict's server copy as answered: a row, an account or a transfer (each read has
    a column of its own: a row's `type`, an account's `kind`, a transfer's `to_account_id`)."""
    if current is None:
        return None
    if "to_account_id" in current._mapping:
        return transfer_schema.dump(current)
    if "kind" in current._mapping:
        return account_schema.dump(current)
    return transaction_rows.one(current)


class CurrentObject(fields.Field):
    """A conflict's server copy (`dump_current`)."""

    def _serialize(self, value: Row | None, attr: str | None, obj: Any, **kwargs) -> Any:
        return dump_current(value)


class SyncResultSchema(ResponseSchema):
    """What became of one operation."""

    id = fields.UUID(required=True)
    status = fields.String(
        required=True,
        metadata={"enum": ["created", "updated", "unchanged", "deleted", "conflict", "invalid"]},
    )
    version = fields.Integer(
        metadata={"description": "The row's new version: only when created, updated or deleted."}
    )
    current = CurrentObject(
        allow_none=True,
        metadata={
            "description": "Only on a conflict: the server's row, account or transfer (as the "
            "operation names; null: it is deleted).",
            "oneOf": [
                {"$ref": "#/components/schemas/Transaction"},
                {"$ref": "#/components/schemas/Account"},
                {"$ref": "#/components/schemas/Transfer"},
                {"type": "null"},
            ],
        },
    )
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Only when invalid: each bad field with its messages."},
    )


class SyncResultsSchema(ResponseSchema):
    server_knowledge = fields.Integer(
        required=True, metadata={"description": "The counter after the batch."}
    )
    results = fields.List(
        fields.Nested(SyncResultSchema),
        required=True,
        metadata={"description": "One per operation, in the request's order."},
    )


sync_results_schema = SyncResultsSchema()


class ChangesSchema(ResponseSchema):
    """A page of changes: apply the accounts, `changed` and the deletes, then remember
    `server_knowledge`."""

    server_knowledge = fields.Integer(
        required=True,
        metadata={"description": "Send it as `since` next time (or at once, with `has_more`)."},
    )
    has_more = fields.Boolean(required=True)
    changed = fields.List(
        fields.Nested(TransactionSchema),
        required=True,
        metadata={"description": "Rows created or changed, in their latest state, by version."},
    )
    deleted = fields.List(
        fields.Nested(DeletedSchema),
        required=True,
        metadata={"description": "Rows deleted, by version."},
    )
    accounts = fields.List(
        fields.Nested(AccountSchema),
        required=True,
        metadata={"description": "Accounts created or changed, in their latest state, by version."},
    )
    deleted_accounts = fields.List(
        fields.Nested(DeletedAccountSchema),
        required=True,
        metadata={"description": "Accounts deleted, by version."},
    )


changes_schema = ChangesSchema()


class SyncOutcome(Protocol):
    """What became of one operation, as the ledger tells it."""

    id: UUID
    status: str
    version: int | None
    current: Row | None
    errors: dict[str, list[str]] | None


def sync_answer(knowledge: int, outcomes: Sequence[SyncOutcome]) -> dict[str, Any]:
    """POST /sync's answer, as `sync_results_schema` dumps it (a test checks): `version`,
    `current` and `errors` only where they apply, a conflict's row by the fast row dump."""
    return {
        "server_knowledge": knowledge,
        "results": [_result(outcome) for outcome in outcomes],
    }


def _result(outcome: SyncOutcome) -> dict[str, Any]:
    result: dict[str, Any] = {"id": str(outcome.id), "status": outcome.status}
    if outcome.version is not None:
        result["version"] = outcome.version
    if outcome.status == "conflict":
        result["current"] = dump_current(outcome.current)
    if outcome.errors is not None:
        result["errors"] = outcome.errors
    return result
