"""Marshmallow schemas: the one definition of every request and response body."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validates
from marshmallow.validate import Length, OneOf, Regexp
from werkzeug.exceptions import BadRequest

from .errors import FieldErrors
from .models import Kind
from .money import CENT, MAX_AMOUNT

NUMERIC_STRING = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


class Money(fields.Field):
    """An exact amount: a JSON number or numeric string, never rounded.

    JSON numbers arrive as `Decimal` (see json_provider), so no float ever holds an amount.
    """

    default_error_messages = {
        "invalid": 'Not a valid amount: send a number or a numeric string such as "12.50".',
        "zero": "An amount cannot be 0.",
        "range": f"An amount must be at most {MAX_AMOUNT} in absolute value.",
        "precision": "An amount has at most 2 decimal places.",
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

    default_error_messages = {"nul": "Must not contain the NUL character."}

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
                error.messages[name] = ["Read-only field."]


class CredentialsSchema(BodySchema):
    username = Text(required=True)
    password = Text(required=True, load_only=True)


class RegisterSchema(CredentialsSchema):
    username = Text(
        required=True,
        validate=[
            Length(3, 64),
            Regexp(r"[A-Za-z0-9_.-]*\Z", error="Use only letters, digits, '_', '.' and '-'."),
        ],
    )
    password = Text(required=True, load_only=True, validate=Length(8, 128))


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    created_at = fields.DateTime()


def today_utc() -> date:
    """The default `date`: a callable, so it is today at each request, not at import."""
    return datetime.now(UTC).date()


class TransactionSchema(BodySchema):
    """A transaction; `kind` decides the sign rule of `amount` when loading."""

    id = fields.Integer(dump_only=True)
    type = fields.Enum(Kind, dump_only=True)
    description = TrimmedText(required=True, validate=Length(1, 255))
    amount = Money(required=True)
    category = TrimmedText(allow_none=True, validate=Length(1, 64))
    date = fields.Date(load_default=today_utc)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    def __init__(self, *, kind: Kind | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind

    @validates("amount")
    def _income_is_positive(self, value: Decimal, **kwargs: Any) -> None:
        if self.kind is Kind.INCOME and value < 0:
            raise ValidationError("An income must be positive.")

    @post_load
    def _expense_is_negative(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if self.kind is Kind.EXPENSE and "amount" in data:
            data["amount"] = -abs(data["amount"])
        return data


class TransactionQuerySchema(Schema):
    type = fields.String(validate=OneOf(["income", "expense"]))

    class Meta:
        unknown = EXCLUDE


register_schema = RegisterSchema()
credentials_schema = CredentialsSchema()
user_schema = UserSchema()
transaction_schema = TransactionSchema()
transactions_schema = TransactionSchema(many=True)
new_transaction_schemas = {kind: TransactionSchema(kind=kind) for kind in Kind}
transaction_patch_schemas = {kind: TransactionSchema(kind=kind, partial=True) for kind in Kind}
transaction_query_schema = TransactionQuerySchema()


def load_body(schema: Schema) -> dict[str, Any]:
    """Validate the JSON request body; errors become a 400, 415 or 422 problem."""
    try:
        body = request.get_json()
    except BadRequest:
        raise BadRequest("The request body is not valid JSON.") from None
    return schema.load(body)


def load_query(schema: Schema) -> dict[str, Any]:
    """Validate query parameters; errors become a 400 problem naming each parameter."""
    try:
        return schema.load(request.args)
    except ValidationError as error:
        raise FieldErrors(error.messages, 400, "The query has invalid parameters.") from None
