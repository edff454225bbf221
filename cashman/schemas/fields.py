"""Fields of our own: exact money, text a database can store, months, kinds, paging cursors;
and the patterns of the headers and names a client writes, each declared once."""

import re
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, missing

from ..currencies import is_active
from ..i18n import _, _l
from ..models import Kind
from ..money import from_minor
from ..paging import decode_cursor
from .sizes import IDEMPOTENCY_KEY_LENGTH, MAX_ABS_AMOUNT

# Each pattern below is both a Python and an ECMA-262 regular expression (the OpenAPI document
# shows it between ^ and $); the code matches it whole.
NUMERIC_STRING = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MONTH_PATTERN = "(?!0000)[0-9]{4}-(0[1-9]|1[0-2])"  # a real month, of the years 1 to 9999
UUID_PATTERN = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
CANONICAL_UUID = re.compile(UUID_PATTERN)
USERNAME_PATTERN = "[A-Za-z0-9_.-]*"  # the length is checked apart (sizes.USERNAME_LENGTH)
# Printable ASCII, without surrounding spaces: 1 to IDEMPOTENCY_KEY_LENGTH characters.
IDEMPOTENCY_KEY_PATTERN = rf"[\x21-\x7e]([\x20-\x7e]{{0,{IDEMPOTENCY_KEY_LENGTH - 2}}}[\x21-\x7e])?"
IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
# A kind in any case (income, INCOME, Income), spelled for a regex without an ignore-case flag.
KIND_PATTERN = "|".join(
    "".join(f"[{letter.upper()}{letter.lower()}]" for letter in kind.name) for kind in Kind
)


def idempotency_key_message() -> str:
    """Why an Idempotency-Key that does not match `IDEMPOTENCY_KEY` is refused."""
    return _("Must be 1 to {max} printable ASCII characters.").format(max=IDEMPOTENCY_KEY_LENGTH)


class FormatsLazyMessages:
    """Fields whose messages are lazy translations (`_l`) with placeholders: marshmallow's own
    `make_error` formats only a plain `str`, so they are filled in here, in the request's
    language (a public method of `Field`, overridden)."""

    def make_error(self, key: str, **kwargs: Any) -> ValidationError:
        message = self.error_messages[key]  # type: ignore[attr-defined]
        return ValidationError(str(message).format(**kwargs) if kwargs else message)


class Money(FormatsLazyMessages, fields.Field):
    """An exact amount: a JSON number or numeric string, never rounded; dumped as a number.

    JSON numbers arrive as `Decimal` (see json_provider), so no float ever holds an amount. How
    many decimals it may have is its currency's, checked where the currency is known (the
    account's: cashman.stores.pricing.priced).
    """

    default_error_messages = {
        "invalid": _l('Not a valid amount: send a number or a numeric string such as "12.50".'),
        "zero": _l("An amount cannot be 0."),
        "range": _l("An amount must be at most {max} in absolute value."),
    }

    def __init__(self, *, allow_zero: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allow_zero = allow_zero

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
            if not self.allow_zero:
                raise self.make_error("zero")
            return amount
        # Compared by exponent first: arithmetic on 1e1000000 overflows the decimal context.
        if amount.adjusted() > MAX_ABS_AMOUNT.adjusted() or abs(amount) > MAX_ABS_AMOUNT:
            raise self.make_error("range", max=MAX_ABS_AMOUNT)
        return amount


class MinorAmount(Money):
    """An amount kept in minor units: dumped from the object's `minor` attribute with exactly
    the decimals of the currency its `currency` attribute names (`1000` yen, `12.50` dollars,
    `12.345` dinars)."""

    def __init__(self, minor: str, currency: str = "currency", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.minor, self.currency = minor, currency

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = missing) -> Any:
        minor = super().get_value(obj, self.minor, accessor, default)
        currency = super().get_value(obj, self.currency, accessor, default)
        return None if minor is None or minor is missing else from_minor(minor, currency)


class Currency(fields.String):
    """An active ISO 4217 currency code, in upper case as ISO writes it (cashman.currencies)."""

    default_error_messages = {
        "currency": _l("Not an active ISO 4217 currency code in upper case, such as USD or EUR.")
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs) -> str:
        code = super()._deserialize(value, attr, data, **kwargs)
        if not is_active(code):
            raise self.make_error("currency")
        return code


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


class Month(fields.Field):
    """A month, written YYYY-MM (`MONTH_PATTERN`); held as the date of its first day.

    The one place a month is read from or written as text: the `/budgets/<month>` routes,
    and every answer that names a month (the OpenAPI document shows its pattern).
    """

    @staticmethod
    def parse(text: str) -> date | None:
        """The first day of the month `text` names, or None if it is not a real YYYY-MM."""
        if not re.fullmatch(MONTH_PATTERN, text):
            return None
        return date(int(text[:4]), int(text[5:]), 1)

    @staticmethod
    def format(day: date) -> str:
        return f"{day.year:04d}-{day.month:02d}"

    def _serialize(self, value: date | None, attr: str | None, obj: Any, **kwargs) -> Any:
        return None if value is None else self.format(value)


class KindName(FormatsLazyMessages, fields.Field):
    """A transaction's kind as a client writes it, in any case (every answer says "INCOME"; a
    query or a bank's file may say "income"), one of `kinds`. Loaded as a `Kind`."""

    default_error_messages = {"invalid": _l("Must be one of: {choices}.")}

    def __init__(
        self,
        *,
        kinds: tuple[Kind, ...] = tuple(Kind),
        lower_case_choices: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.kinds = kinds
        names = [kind.name for kind in kinds]
        # A query names them in lower case (`?type=expense`), a body as every answer does.
        self.choices = (
            ", ".join(name.lower() for name in names) if lower_case_choices else ", ".join(names)
        )

    def _serialize(self, value: Kind | None, attr: str | None, obj: Any, **kwargs) -> Any:
        return None if value is None else value.name

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs) -> Kind:
        if (kind := Kind.named(value)) not in self.kinds:
            raise self.make_error("invalid", choices=self.choices)
        return kind
