"""Fields of our own: exact money, text a database can store, and paging cursors."""

import re
from decimal import Decimal
from typing import Any

from marshmallow import fields

from ..i18n import _l
from ..money import CENT, MAX_AMOUNT
from ..paging import decode_cursor

NUMERIC_STRING = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


class Money(fields.Field):
    """An exact amount: a JSON number or numeric string, never rounded; dumped as a number.

    JSON numbers arrive as `Decimal` (see json_provider), so no float ever holds an amount.
    """

    default_error_messages = {
        "invalid": _l('Not a valid amount: send a number or a numeric string such as "12.50".'),
        "zero": _l("An amount cannot be 0."),
        "range": _l("An amount must be at most 1000000000000 in absolute value."),
        "precision": _l("An amount has at most 2 decimal places."),
    }

    def _serialize(self, value: Decimal | None, attr: str | None, obj: Any, **kwargs) -> Any:
        return value

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs) -> Decimal:
        if isinstance(value, str) and NUMERIC_STRING.fullmatch(value):
            value = Decimal(value)
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise self.make_error("invalid")
        amount = Decimal(value)
        if not amount.is_finite():
            raise self.make_error("invalid")
        if amount == 0:
            raise self.make_error("zero")
        if abs(amount) > MAX_AMOUNT:
            raise self.make_error("range")
        if amount != amount.quantize(CENT):
            raise self.make_error("precision")
        return amount


class Text(fields.String):
    """A string without NUL characters (PostgreSQL cannot store them)."""

    default_error_messages = {"nul": _l("Must not contain the NUL character.")}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise self.make_error("nul")
        return text


class TrimmedText(Text):
    """Text trimmed of surrounding white space before its length is checked."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class Cursor(fields.String):
    """An opaque paging cursor, loaded as the (date, id) position it stands for."""

    default_error_messages = {
        "invalid": _l("Not a valid cursor: use the one from the Link header.")
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs) -> tuple:
        try:
            return decode_cursor(super()._deserialize(value, attr, data, **kwargs))
        except ValueError:
            raise self.make_error("invalid") from None
