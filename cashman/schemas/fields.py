"""Fields of our own: exact money, text a database can store, and paging cursors."""

import re
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import fields

from ..i18n import _l
from ..money import CENT, MAX_AMOUNT
from ..paging import decode_cursor

NUMERIC_STRING = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
UUID_PATTERN = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
CANONICAL_UUID = re.compile(UUID_PATTERN)


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
        # Compared by exponent first: arithmetic on 1e1000000 overflows the decimal context.
        if amount.adjusted() > MAX_AMOUNT.adjusted() or abs(amount) > MAX_AMOUNT:
            raise self.make_error("range")
        if amount != amount.quantize(CENT):
            raise self.make_error("precision")
        return amount


class Text(fields.String):
    """A string a database can store: no NUL character and no lone surrogate (JSON can escape
    one, U+D800 to U+DFFF, but it is not a character and neither engine can encode it)."""

    default_error_messages = {
        "nul": _l("Must not contain the NUL character."),
        "surrogate": _l("Must not contain unpaired surrogate code points."),
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise self.make_error("nul")
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise self.make_error("surrogate") from None
        return text


class TrimmedText(Text):
    """Text trimmed of surrounding white space before its length is checked."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class IsoDate(fields.Date):
    """A calendar date written exactly as YYYY-MM-DD.

    Python's `date.fromisoformat` also takes `20260101` and week dates (`2026-W01-1`); the
    contract does not.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs) -> date:
        if not (isinstance(value, str) and ISO_DATE.fullmatch(value)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class PublicId(fields.UUID):
    """An RFC 9562 UUID in its 8-4-4-4-12 form, any case; dumped lowercase.

    Python's `uuid.UUID` also takes braces, `urn:uuid:` and bare hex; the contract (and the item
    URLs' converter) take the canonical form only.
    """

    default_error_messages = {"invalid_uuid": _l("Not a valid UUID.")}

    def _validated(self, value: Any) -> uuid.UUID:
        if not (isinstance(value, str) and CANONICAL_UUID.fullmatch(value)):
            raise self.make_error("invalid_uuid")
        return uuid.UUID(value)


class Cursor(fields.String):
    """An opaque paging cursor, loaded as the (date, created_version) position it stands for."""

    default_error_messages = {
        "invalid": _l("Not a valid cursor: use the one from the Link header.")
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs) -> tuple:
        try:
            return decode_cursor(super()._deserialize(value, attr, data, **kwargs))
        except ValueError:
            raise self.make_error("invalid") from None


class YearMonth(fields.Field):
    """A month, written YYYY-MM (held as the date of its first day)."""

    def _serialize(self, value: date | None, attr: str | None, obj: Any, **kwargs) -> Any:
        return None if value is None else f"{value.year:04d}-{value.month:02d}"
