"""POST /sync: a batch of an offline client's operations, and the result of each.

The batch's shape is checked whole (a bad shape is a 422 and nothing is applied); each
operation's own fields are checked apart, so a bad one is an `invalid` result of its own.
"""

from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from marshmallow import ValidationError, fields, missing
from marshmallow.validate import Length, OneOf, Range
from sqlalchemy import Row

from ..errors import flat_messages
from ..i18n import _, _l
from ..models import Kind
from .accounts import AccountSchema, DeletedAccountSchema
from .bodies import BodySchema, ExpenseSchema, IncomeSchema, TransactionBodySchema
from .fields import KindName, PublicId
from .responses import DeletedSchema, ResponseSchema, TransactionSchema, transaction_rows
from .sizes import MAX_OPERATIONS

KINDS = [kind.name for kind in Kind]
WRITTEN = ("description", "amount", "category", "date", "account_id")  # an upsert's fields


class BaseVersion(fields.Integer):
    """The row's `version` the client last saw: a change based on another one is a conflict."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            strict=True, validate=Range(min=0, error=_l("Must be at least {min}.")), **kwargs
        )


# What every operation must have for the batch to be taken at all.
OPERATION_SHAPE = {
    "op": fields.String(required=True, validate=OneOf(["upsert", "delete"])),
    "id": PublicId(required=True),
}


class SyncBatchSchema(BodySchema):
    operations = fields.List(
        fields.Raw(
            metadata={
                "oneOf": [
                    {"$ref": "#/components/schemas/UpsertOperation"},
                    {"$ref": "#/components/schemas/DeleteOperation"},
                ]
            }
        ),
        required=True,
        validate=Length(1, MAX_OPERATIONS),
        metadata={
            "description": "Applied in order, each on its own. An operation with a valid `op` "
            "and `id` but bad fields is not a 422: its result is `invalid`."
        },
    )


def _upsert_schema(base: type[TransactionBodySchema]) -> type[TransactionBodySchema]:
    class Upsert(base):
        """Make the row with this `id` be this one: created, or updated from `base_version`.

        On an existing row an absent `category` or `date` keeps the stored one; on a new row
        they are null and today, as for POST.
        """

        op = fields.String(required=True, validate=OneOf(["upsert"]))
        id = PublicId(required=True)
        type = KindName(required=True)
        base_version = BaseVersion()

    return Upsert


class DeleteOperationSchema(BodySchema):
    """Delete the row with this `id` (if `base_version` is given, only at that version)."""

    op = fields.String(required=True, validate=OneOf(["delete"]))
    id = PublicId(required=True)
    base_version = BaseVersion()


UpsertOperationSchema = _upsert_schema(TransactionBodySchema)
UPSERTS = {
    None: UpsertOperationSchema(partial=("category", "date")),
    Kind.INCOME: _upsert_schema(IncomeSchema)(partial=("category", "date")),
    Kind.EXPENSE: _upsert_schema(ExpenseSchema)(partial=("category", "date")),
}
OPERATION_SCHEMAS = {
    "UpsertOperation": UpsertOperationSchema,
    "DeleteOperation": DeleteOperationSchema,
}
sync_batch_schema = SyncBatchSchema()
delete_operation_schema = DeleteOperationSchema()


def load_operations(payload: Any) -> list[dict[str, Any]]:
    """Each operation as {"op", "id", "base_version", "kind", "fields"} or, when its own fields
    are bad, {"op", "id", "errors"}. A batch of a bad shape (one operation without a valid `op`
    or `id` is enough) raises, naming the place: a 422, and nothing is applied."""
    operations = sync_batch_schema.load(payload)["operations"]
    loaded, errors = [], {}
    for index, operation in enumerate(operations):
        try:
            loaded.append(_load_one(operation))
        except ValidationError as error:
            errors[index] = error.messages
    if errors:
        raise ValidationError({"operations": errors})
    return loaded


def _load_one(operation: Any) -> dict[str, Any]:
    if not isinstance(operation, dict):
        raise ValidationError([_("Invalid input type.")])
    shape, errors = {}, {}
    for name, field in OPERATION_SHAPE.items():
        try:
            shape[name] = field.deserialize(operation.get(name, missing))
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    kind = Kind.named(operation.get("type"))
    if shape["op"] == "upsert" and kind is Kind.TRANSFER:
        legs_apart = _("A transfer's rows are written by the transfer operations only.")
        return {**shape, "errors": {"type": [legs_apart]}}
    schema = delete_operation_schema if shape["op"] == "delete" else UPSERTS[kind]
    try:
        valid = schema.load(operation)
    except ValidationError as error:
        return {**shape, "errors": flat_messages(error.messages)}
    content = {name: valid[name] for name in WRITTEN if name in valid}
    return {**shape, "base_version": valid.get("base_version"), "kind": kind, "fields": content}


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
    current = fields.Nested(
        TransactionSchema,
        allow_none=True,
        metadata={"description": "Only on a conflict: the server's row (null: it is deleted)."},
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
        current = outcome.current
        result["current"] = None if current is None else transaction_rows.one(current)
    if outcome.errors is not None:
        result["errors"] = outcome.errors
    return result
