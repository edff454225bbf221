"""POST /transactions/import: each row checked as a create, its result, and the query."""

import math
import uuid
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, missing
from marshmallow.validate import Length, OneOf

from ..currencies import active_currencies, minor_digits
from ..edge import MIB
from ..errors import flat_messages
from ..export import COLUMNS
from ..i18n import _
from ..import_files import UnreadableRow
from ..models import Kind
from ..money import MAX_AMOUNT
from .bodies import TransactionBodySchema, new_transaction_schemas
from .fields import PublicId
from .responses import ResponseSchema

KINDS = [kind.name for kind in Kind]  # a transfer is imported as its two legs

MAX_ROWS = 10_000
MAX_ROW_ERRORS = 100


class ImportRowSchema(TransactionBodySchema):
    """A row to import: a transaction object (the server's `created_at`, `updated_at` and
    `version` are ignored). Without `id` it is a duplicate of a stored row of the same type,
    date, amount and description; with one, of the stored row with that id. The two TRANSFER
    rows sharing a `transfer_id` are imported as one transfer (the negative one its source);
    a duplicate when the caller has that transfer."""

    type = fields.String(required=True, validate=OneOf(KINDS))
    transfer_id = PublicId(
        metadata={"description": "Only on TRANSFER rows: the transfer the row is a leg of."}
    )


class ImportQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    dry_run = fields.Boolean(
        load_default=False,
        metadata={"description": "true: check and count everything, write nothing."},
    )
    account_id = PublicId(
        metadata={"description": "The account of every row without an `account_id` of its own."}
    )


class ImportResultSchema(ResponseSchema):
    created = fields.Integer(required=True)
    skipped_duplicates = fields.Integer(required=True)


import_row_schema = ImportRowSchema()
import_rows_schema = ImportRowSchema(many=True)
import_query_schema = ImportQuerySchema()
import_result_schema = ImportResultSchema()
TYPE = import_row_schema.fields["type"]
TRANSFER_ID = import_row_schema.fields["transfer_id"]
# A leg (either sign), or a row whose type is bad: its other fields are still checked.
UNTYPED = TransactionBodySchema()


def load_row(row: Any) -> tuple[Kind, dict[str, Any]] | dict[str, list[str]]:
    """A row as (kind, content) to create, validated as POST /incomes or /expenses validates
    (the expense sign rule included; a TRANSFER row, a leg, has its `transfer_id` and either
    sign), or its errors by field."""
    if isinstance(row, UnreadableRow):
        return row.errors
    if not isinstance(row, dict):
        return {"_schema": [_("Invalid input type.")]}
    content = dict(row)
    errors: dict[str, list[str]] = {}
    kind_name = content.pop("type", missing)
    if isinstance(kind_name, str):  # a bank's file may say "income" or " Expense "
        kind_name = kind_name.strip().upper()
    try:
        kind = Kind[TYPE.deserialize(kind_name)]
    except ValidationError as error:
        kind, errors = None, {"type": error.messages}
    transfer_id = content.pop("transfer_id", None)
    if kind is Kind.TRANSFER:
        if transfer_id is None:
            errors["type"] = [_("A TRANSFER row needs the transfer_id of its transfer.")]
        else:
            try:
                transfer_id = TRANSFER_ID.deserialize(transfer_id)
            except ValidationError as error:
                errors["transfer_id"] = error.messages
    elif transfer_id is not None:
        errors["transfer_id"] = [_("Only a TRANSFER row has a transfer_id.")]
    schema = new_transaction_schemas.get(kind, UNTYPED)
    try:
        content = schema.load(content)
    except ValidationError as error:
        errors |= flat_messages(error.messages)
    if kind is Kind.TRANSFER and content.get("category") is not None:
        errors["category"] = [_("A transfer's rows have no category.")]
    if errors:
        return errors
    return kind, content | ({"transfer_id": transfer_id} if kind is Kind.TRANSFER else {})


def _longest_text_cell(name: str) -> int:
    """The bytes of the longest cell the export writes for a text field: its most characters
    at 4 UTF-8 bytes each (a doubled quote takes 2), the formula guard's quote, and the two
    quotes around a cell that needs them."""
    field = TransactionBodySchema._declared_fields[name]
    (length,) = (rule for rule in field.validators if isinstance(rule, Length))
    return 4 * length.max + 3


def _longest_exported_row() -> int:
    """The bytes of the longest row the export writes, with its separators and line end."""
    created_at = datetime.max.replace(tzinfo=UTC).isoformat()  # microseconds and offset
    cells = {
        "id": len(str(uuid.UUID(int=0))),
        "type": max(len(kind.value) for kind in Kind),
        "date": len("YYYY-MM-DD"),
        "description": _longest_text_cell("description"),
        "amount": len(f"{-MAX_AMOUNT:.{max(map(minor_digits, active_currencies()))}f}"),
        "category": _longest_text_cell("category"),
        "created_at": len(created_at),
        "account_id": len(str(uuid.UUID(int=0))),
        "transfer_id": len(str(uuid.UUID(int=0))),
    }
    return sum(cells[column] for column in COLUMNS) + len(COLUMNS) - 1 + len("\r\n")


# An import's body may be as large as the export of MAX_ROWS rows can be, in whole MiB: the row
# count binds first, and an export of what an import created never exceeds it, so export then
# import always holds.
MAX_BODY_BYTES = (
    math.ceil((len(",".join(COLUMNS)) + 2 + MAX_ROWS * _longest_exported_row()) / MIB) * MIB
)
