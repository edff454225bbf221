"""The fast dump of database rows: `schema.dump(rows, many=True)`, compiled once from the schema.

The names, their order and each field's writer come from the schema's fields, so the response
schema stays the one definition of the body (and of the OpenAPI document); tests/test_fast_dump.py
checks the bytes are marshmallow's own for varied rows.
"""

from collections.abc import Callable, Sequence
from typing import Any

from marshmallow import Schema, fields
from sqlalchemy import Row

from .fields import Money

# How each field type of a response writes a (non-null) value, as marshmallow's dump does.
FAST_FORMATS: dict[type, Callable[[Any], Any]] = {
    fields.Integer: int,
    fields.UUID: str,
    fields.String: str,
    Money: lambda amount: amount,
    fields.Enum: lambda member: member.name,
    fields.Date: lambda day: day.isoformat(),
    fields.DateTime: lambda moment: moment.isoformat(),
}


class RowDumper:
    """`schema.dump(rows, many=True)` for database rows, without marshmallow's per-field,
    per-row dispatch.

    The names, their order and each value's format come from the schema's fields (looked up
    once), so the schema stays the one definition. Values are read by position: a plan is
    compiled once per set of columns a query returns, then reused for every row.
    """

    def __init__(self, schema: Schema) -> None:
        self.fields = []
        for name, field in schema.dump_fields.items():
            kind = next(cls for cls in type(field).__mro__ if cls in FAST_FORMATS)
            self.fields.append(
                (field.data_key or name, field.attribute or name, FAST_FORMATS[kind])
            )
        self.plans: dict[tuple[str, ...], list[tuple[str, int, Callable]]] = {}

    def many(self, rows: Sequence[Row]) -> list[dict[str, Any]]:
        """Every row as the schema would dump it."""
        if not rows:
            return []
        steps = self._plan(rows[0]._fields)
        return [
            {
                key: None if (value := row[index]) is None else write(value)
                for key, index, write in steps
            }
            for row in rows
        ]

    def one(self, row: Row) -> dict[str, Any]:
        """One row as the schema would dump it."""
        return self.many([row])[0]

    def _plan(self, columns: tuple[str, ...]) -> list[tuple[str, int, Callable]]:
        if (plan := self.plans.get(columns)) is None:
            plan = [(key, columns.index(attr), write) for key, attr, write in self.fields]
            self.plans[columns] = plan
        return plan
