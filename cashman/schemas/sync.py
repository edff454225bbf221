"""POST /sync: a batch of an offline client's operations (their results: sync_answers.py).

The batch's shape is checked whole (a bad shape is a 422 and nothing is applied); each
operation's own fields are checked apart, so a bad one is an `invalid` result of its own.
"""

from typing import Any

from marshmallow import ValidationError, fields, missing
from marshmallow.validate import Length, OneOf, Range

from ..errors import flat_messages
from ..i18n import _, _l
from ..models import Kind
from .accounts import AccountPatchSchema
from .bodies import BodySchema, ExpenseSchema, IncomeSchema, TransactionBodySchema
from .fields import KindName, PublicId
from .sizes import MAX_OPERATIONS
from .transfers import TransferBodySchema

KINDS = [kind.name for kind in Kind]
WRITTEN = ("description", "amount", "category", "date", "account_id")  # an upsert's fields


class BaseVersion(fields.Integer):
    """The row's `version` the client last saw: a change based on another one is a conflict."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            strict=True, validate=Range(min=0, error=_l("Must be at least {min}.")), **kwargs
        )


OPS = ["upsert", "delete", "upsert_account", "delete_account", "upsert_transfer", "delete_transfer"]
OPERATION_NAMES = [  # their schemas' names in the OpenAPI document, one per op
    "UpsertOperation",
    "DeleteOperation",
    "UpsertAccountOperation",
    "DeleteAccountOperation",
    "UpsertTransferOperation",
    "DeleteTransferOperation",
]
# What every operation must have for the batch to be taken at all.
OPERATION_SHAPE = {
    "op": fields.String(required=True, validate=OneOf(OPS)),
    "id": PublicId(required=True),
}


class SyncBatchSchema(BodySchema):
    operations = fields.List(
        fields.Raw(
            metadata={
                "oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in OPERATION_NAMES]
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
        type = KindName(required=True, kinds=(Kind.INCOME, Kind.EXPENSE))
        base_version = BaseVersion()

    return Upsert


def _delete_schema(op_name: str, what: str) -> type[BodySchema]:
    class Delete(BodySchema):
        __doc__ = (
            f"Delete the {what} with this `id` (if `base_version` is given, only at that version)."
        )

        op = fields.String(required=True, validate=OneOf([op_name]))
        id = PublicId(required=True)
        base_version = BaseVersion()

    Delete.__name__ = f"{op_name.title().replace('_', '')}OperationSchema"
    return Delete


class UpsertAccountOperationSchema(AccountPatchSchema):
    """Make the account with this `id` be this one: opened (`name`, `kind` and `currency`
    required), or changed from `base_version` (absent fields keep the stored ones)."""

    op = fields.String(required=True, validate=OneOf(["upsert_account"]))
    id = PublicId(required=True)
    base_version = BaseVersion()


class UpsertTransferOperationSchema(TransferBodySchema):
    """Make the transfer with this `id` be this one: made (`from_account_id`, `to_account_id`
    and `amount` required), or changed from `base_version` (absent fields keep the stored
    ones), both legs together."""

    op = fields.String(required=True, validate=OneOf(["upsert_transfer"]))
    id = PublicId(required=True)
    base_version = BaseVersion()


DeleteOperationSchema = _delete_schema("delete", "row")
DeleteAccountOperationSchema = _delete_schema("delete_account", "account")
DeleteTransferOperationSchema = _delete_schema("delete_transfer", "transfer (both legs)")


UpsertOperationSchema = _upsert_schema(TransactionBodySchema)
UPSERTS = {
    None: UpsertOperationSchema(partial=("category", "date")),
    Kind.INCOME: _upsert_schema(IncomeSchema)(partial=("category", "date")),
    Kind.EXPENSE: _upsert_schema(ExpenseSchema)(partial=("category", "date")),
}
OPERATION_SCHEMAS = {
    "UpsertOperation": UpsertOperationSchema,
    "DeleteOperation": DeleteOperationSchema,
    "UpsertAccountOperation": UpsertAccountOperationSchema,
    "DeleteAccountOperation": DeleteAccountOperationSchema,
    "UpsertTransferOperation": UpsertTransferOperationSchema,
    "DeleteTransferOperation": DeleteTransferOperationSchema,
}
# Each op's own schema; an account's and a transfer's are partial (REQUIRED checks a create's).
OBJECT_OPS = {
    "delete": DeleteOperationSchema(),
    # Wholly partial: an update keeps what it leaves out, a create gets POST's defaults.
    "upsert_account": UpsertAccountOperationSchema(partial=True),
    "delete_account": DeleteAccountOperationSchema(),
    "upsert_transfer": UpsertTransferOperationSchema(
        partial=("from_account_id", "to_account_id", "amount", "description", "date")
    ),
    "delete_transfer": DeleteTransferOperationSchema(),
}
sync_batch_schema = SyncBatchSchema()


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
    kind = Kind.named(operation.get("type")) if shape["op"] == "upsert" else None
    if shape["op"] == "upsert" and kind is Kind.TRANSFER:
        legs_apart = _("A transfer's rows are written by the transfer operations only.")
        return {**shape, "errors": {"type": [legs_apart]}}
    schema = UPSERTS[kind] if shape["op"] == "upsert" else OBJECT_OPS[shape["op"]]
    try:
        valid = schema.load(operation)
    except ValidationError as error:
        return {**shape, "errors": flat_messages(error.messages)}
    written = WRITTEN if shape["op"] == "upsert" else valid.keys() - {"op", "id", "base_version"}
    content = {name: valid[name] for name in written if name in valid}
    return {**shape, "base_version": valid.get("base_version"), "kind": kind, "fields": content}
