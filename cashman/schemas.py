"""Marshmallow schemas: the one definition of every request and response body."""

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import request
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validates,
    validates_schema,
)
from marshmallow.validate import Length, OneOf, Range, Regexp
from sqlalchemy import Row
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from .errors import FieldErrors
from .i18n import _, _l
from .models import Kind
from .money import CENT, MAX_AMOUNT
from .paging import decode_cursor
from .store import Filters

NUMERIC_STRING = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


class Money(fields.Field):
    """An exact amount: a JSON number or numeric string, never rounded.

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


class BodySchema(Schema):
    """A request body: unknown fields are errors, and read-only fields say so."""

    def handle_error(self, error: ValidationError, data: Any, *, many: bool, **kwargs) -> None:
        """Say "Read-only field." where marshmallow would say "Unknown field." for `id` and such."""
        if isinstance(error.messages, dict):
            read_only = {name for name, field in self.fields.items() if field.dump_only}
            for name in read_only & error.messages.keys():
                error.messages[name] = [_("Read-only field.")]


class CredentialsSchema(BodySchema):
    username = Text(required=True)
    password = Text(required=True, load_only=True)


class RegisterSchema(CredentialsSchema):
    username = Text(
        required=True,
        validate=[
            Length(3, 64),
            Regexp(r"[A-Za-z0-9_.-]*\Z", error=_l("Use only letters, digits, '_', '.' and '-'.")),
        ],
        metadata={"pattern": "^[A-Za-z0-9_.-]*$"},  # the same rule, as an ECMA regex
    )
    password = Text(required=True, load_only=True, validate=Length(8, 128))


class TokensSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String()
    token_type = fields.String(required=True, metadata={"enum": ["Bearer"]})
    expires_in = fields.Integer(
        required=True, metadata={"description": "Seconds until the access token expires."}
    )


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok"]})


class ProblemSchema(Schema):
    """RFC 9457 problem details: the body of every error (`application/problem+json`)."""

    type = fields.String(required=True, metadata={"enum": ["about:blank"]})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Each invalid field, parameter or header with its messages."},
    )
    request_id = fields.String(
        required=True, metadata={"description": "The request's X-Request-ID, for support."}
    )


class JWKSetSchema(Schema):
    keys = fields.List(
        fields.Dict(),
        required=True,
        metadata={"description": "Public JWKs (RFC 7517) with kid, alg and use; none with HS256."},
    )


class UserSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    created_at = fields.DateTime(required=True)


def today_utc() -> date:
    """The default `date`: a callable, so it is today at each request, not at import."""
    return datetime.now(UTC).date()


class TransactionSchema(BodySchema):
    """A transaction as answered; the subclasses per kind add the sign rule of `amount`."""

    kind: Kind | None = None

    id = fields.Integer(dump_only=True)
    type = fields.Enum(Kind, dump_only=True)
    description = TrimmedText(required=True, validate=Length(1, 255))
    amount = Money(required=True)
    category = TrimmedText(allow_none=True, validate=Length(1, 64))
    date = fields.Date(load_default=today_utc)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    @validates("amount")
    def _income_is_positive(self, value: Decimal, **kwargs: Any) -> None:
        if self.kind is Kind.INCOME and value < 0:
            raise ValidationError(_("An income must be positive."))

    @post_load
    def _expense_is_negative(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if self.kind is Kind.EXPENSE and "amount" in data:
            data["amount"] = -abs(data["amount"])
        return data


class IncomeSchema(TransactionSchema):
    """A new income, or the fields to change: the amount must be positive."""

    kind = Kind.INCOME


class ExpenseSchema(TransactionSchema):
    """A new expense, or the fields to change: stored negative whatever sign is sent."""

    kind = Kind.EXPENSE


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


FILTER_NAMES = ("date_from", "date_to", "category", "text")


class DateRangeQuerySchema(Schema):
    """Query parameters shared by lists, exports, balances and summaries.

    Loads into {"filters": Filters, ...the other parameters}; unknown parameters are ignored.
    """

    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")

    class Meta:
        unknown = EXCLUDE

    @validates_schema
    def _from_is_not_after_to(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(_("Must not be after 'to'."), "from")

    @post_load
    def _to_filters(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        names = [name for name in FILTER_NAMES if name in data]
        if "type" in data:
            data["kind"] = Kind[data.pop("type").upper()]
            names.append("kind")
        return {"filters": Filters(**{name: data.pop(name) for name in names}), **data}


class BalanceQuerySchema(DateRangeQuerySchema):
    category = Text(validate=Length(1, 64))


class SummaryQuerySchema(DateRangeQuerySchema):
    group = fields.String(required=True, validate=OneOf(["month", "category"]))


class KindFilterQuerySchema(BalanceQuerySchema):
    text = Text(data_key="q", validate=Length(1, 255))


class TransactionFilterQuerySchema(KindFilterQuerySchema):
    type = fields.String(validate=OneOf(["income", "expense"]))


class PageQuerySchema(Schema):
    limit = fields.Integer(
        load_default=50,
        validate=Range(1, 500, error=_l("Must be between {min} and {max}.")),
    )
    cursor = Cursor()


class KindPageQuerySchema(PageQuerySchema, KindFilterQuerySchema):
    """/incomes and /expenses: a page, narrowed by dates, category and text."""


class TransactionPageQuerySchema(PageQuerySchema, TransactionFilterQuerySchema):
    """/transactions: as for one kind, and `type` narrows to one kind."""


class TotalsSchema(Schema):
    income = Money(required=True)
    expenses = Money(required=True, metadata={"description": "Negative, or 0."})
    balance = Money(required=True, metadata={"description": "income + expenses"})
    count = fields.Integer(required=True)


class SummarySchema(TotalsSchema):
    key = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": 'The month ("2026-11") or the category (null: none).'},
    )

    class Meta:
        fields = ("key", "income", "expenses", "balance", "count")


tokens_schema = TokensSchema()
jwk_set_schema = JWKSetSchema()
health_schema = HealthSchema()
register_schema = RegisterSchema()
credentials_schema = CredentialsSchema()
user_schema = UserSchema()
transaction_schema = TransactionSchema()
transactions_schema = TransactionSchema(many=True)
new_transaction_schemas = {Kind.INCOME: IncomeSchema(), Kind.EXPENSE: ExpenseSchema()}
transaction_patch_schemas = {
    Kind.INCOME: IncomeSchema(partial=True),
    Kind.EXPENSE: ExpenseSchema(partial=True),
}
kind_page_query_schema = KindPageQuerySchema()
transaction_page_query_schema = TransactionPageQuerySchema()
transaction_export_query_schema = TransactionFilterQuerySchema()
balance_query_schema = BalanceQuerySchema()
summary_query_schema = SummaryQuerySchema()
totals_schema = TotalsSchema()
summary_schema = SummarySchema(many=True)


# How each field type of a response writes a (non-null) value, as marshmallow's dump does.
FAST_FORMATS: dict[type, Callable[[Any], Any]] = {
    fields.Integer: int,
    fields.String: str,
    Money: lambda amount: amount,
    fields.Enum: lambda member: member.name,
    fields.Date: lambda day: day.isoformat(),
    fields.DateTime: lambda moment: moment.isoformat(),
}


def fast_dumper(schema: Schema) -> Callable[[Sequence[Row]], list[dict[str, Any]]]:
    """`schema.dump(rows, many=True)` for database rows, without marshmallow's per-field,
    per-row dispatch.

    The names, their order and each value's format come from the schema's fields (looked up once),
    so the schema stays the one definition; a test checks the output is byte-for-byte the same.
    Values are read by position: the rows of one query share their columns.
    """
    plan = []
    for name, field in schema.dump_fields.items():
        kind = next(cls for cls in type(field).__mro__ if cls in FAST_FORMATS)
        plan.append((field.data_key or name, field.attribute or name, FAST_FORMATS[kind]))

    def dump(rows: Sequence[Row]) -> list[dict[str, Any]]:
        if not rows:
            return []
        columns = rows[0]._fields
        steps = [(key, columns.index(attribute), write) for key, attribute, write in plan]
        return [
            {
                key: None if (value := row[index]) is None else write(value)
                for key, index, write in steps
            }
            for row in rows
        ]

    return dump


dump_transaction_rows = fast_dumper(transaction_schema)


def read_json() -> Any:
    """The parsed JSON request body; not JSON is a 400 or 415 problem."""
    try:
        return request.get_json()
    except UnsupportedMediaType:
        raise UnsupportedMediaType(
            _("The request body must be JSON (Content-Type: application/json).")
        ) from None
    except BadRequest:
        raise BadRequest(_("The request body is not valid JSON.")) from None


def load_body(schema: Schema) -> dict[str, Any]:
    """Validate the JSON request body; errors become a 400, 415 or 422 problem."""
    return schema.load(read_json())


def load_query(schema: Schema) -> dict[str, Any]:
    """Validate query parameters; errors become a 400 problem naming each parameter."""
    try:
        return schema.load(request.args)
    except ValidationError as error:
        raise FieldErrors(error.messages, 400, _("The query has invalid parameters.")) from None
