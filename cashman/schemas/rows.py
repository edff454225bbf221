"""The fast dump of database rows: `schema.dump(rows, many=True)`, compiled once from the schema.

The names, their order and each field's writer come from the schema's fields, so the response
schema stays the one definition of the body (and of the OpenAPI document); tests/test_fast_dump.py
checks the bytes are marshmallow's own for varied rows.
"""

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from marshmallow import Schema, fields
from sqlalchemy import Row

from ..money import from_minor
from .fields import MinorAmount, Money

# How each field type of a response writes a (non-null) value, as marshmallow's dump does;
# None: the value is written as it is read.
FAST_FORMATS: dict[type, Callable[[Any], Any] | None] = {
    fields.Integer: None,
    fields.UUID: str,
    fields.String: None,
    Money: None,
    fields.Enum: lambda member: member.name,
    fields.Date: lambda day: day.isoformat(),
    fields.DateTime: lambda moment: moment.isoformat(),
}
Reader = Callable[[Row], Any]  # one field's JSON value, read from a row


class RowDumper:
    """`schema.dump(rows, many=True)` for database rows, without marshmallow's per-field,
    per-row dispatch.

    The names, their order and each value's format come from the schema's fields (looked up
    once), so the schema stays the one definition. Values are read by position: a plan (one
    reader per field) is compiled once per set of columns a query returns, then reused for
    every row.
    """

    def __init__(self, schema: Schema) -> None:
        self.fields = [
            (field.data_key or name, field.attribute or name, field)
            for name, field in schema.dump_fields.items()
        ]
        self.plans: dict[tuple[str, ...], list[tuple[str, Reader]]] = {}

    def many(self, rows: Sequence[Row]) -> list[dict[str, Any]]:
        """Every row as the schema would dump it."""
        if not rows:
            return []
        plan = self._plan(rows[0]._fields)
        return [{key: read(row) for key, read in plan} for row in rows]

    def one(self, row: Row) -> dict[str, Any]:
        """One row as the schema would dump it."""
        return self.many([row])[0]

    def _plan(self, columns: tuple[str, ...]) -> list[tuple[str, Reader]]:
        if (plan := self.plans.get(columns)) is None:
            plan = [(key, _reader(field, attr, columns)) for key, attr, field in self.fields]
            self.plans[columns] = plan
        return plan


def _reader(field: fields.Field, attr: str, columns: tuple[str, ...]) -> Reader:
    if isinstance(field, MinorAmount):
        minor, currency = columns.index(field.minor), columns.index("currency")
        return lambda row: from_minor(row[minor], row[currency])
    index = columns.index(attr)
    kind = next(cls for cls in type(field).__mro__ if cls in FAST_FORMATS)
    if (write := FAST_FORMATS[kind]) is None:
        return itemgetter(index)
    return lambda row: None if (value := row[index]) is None else write(value)
