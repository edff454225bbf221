"""Request bodies: JSON the API takes. Unknown fields are errors; read-only ones say so."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from flask import request
from marshmallow import Schema, ValidationError, fields, post_load, validates
from marshmallow.validate import Length, Regexp
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from ..i18n import _, _l
from ..json_provider import NestedTooDeeply, decode, too_deeply_nested
from ..models import Kind
from .fields import USERNAME_PATTERN, Currency, IsoDate, Money, PublicId, Text, TrimmedText
from .responses import TransactionSchema
from .sizes import (
    CATEGORY_LENGTH,
    DESCRIPTION_LENGTH,
    DEVICE_LENGTH,
    PASSWORD_LENGTH,
    USERNAME_LENGTH,
)


class BodySchema(Schema):
    """A request body; `answered_with` names the response whose other fields are read-only."""

    answered_with: ClassVar[type[Schema] | None] = None

    def handle_error(self, error: ValidationError, data: Any, *, many: bool, **kwargs) -> None:
        """Say "Read-only field." where marshmallow would say "Unknown field." for `id` and such."""
        if self.answered_with is None or not isinstance(error.messages, dict):
            return
        read_only = self.answered_with._declared_fields.keys() - self.fields.keys()
        for name in read_only & error.messages.keys():
            error.messages[name] = [_("Read-only field.")]


class CredentialsSchema(BodySchema):
    username = Text(required=True)
    password = Text(required=True, load_only=True)


class LoginSchema(CredentialsSchema):
    cookies = fields.Boolean(
        load_default=False,
        metadata={
            "description": "true: the tokens come as httpOnly cookies (browser apps), not in "
            "the body."
        },
    )
    device = TrimmedText(
        validate=Length(1, DEVICE_LENGTH),
        metadata={"description": "A name for the session (default: the User-Agent, or unknown)."},
    )


class PasswordChangeSchema(BodySchema):
    current_password = Text(required=True, load_only=True)
    new_password = Text(required=True, load_only=True, validate=Length(*PASSWORD_LENGTH))


class RegisterSchema(CredentialsSchema):
    username = Text(
        required=True,
        validate=[
            Length(*USERNAME_LENGTH),
            Regexp(
                rf"{USERNAME_PATTERN}\Z", error=_l("Use only letters, digits, '_', '.' and '-'.")
            ),
        ],
        metadata={"pattern": f"^{USERNAME_PATTERN}$"},  # the same rule, as an ECMA regex
    )
    password = Text(required=True, load_only=True, validate=Length(*PASSWORD_LENGTH))
    currency = Currency(
        metadata={"description": "The currency of the default account (default: the server's)."}
    )


def today_utc() -> date:
    """The default `date`: a callable, so it is today at each request, not at import."""
    return datetime.now(UTC).date()


class TransactionBodySchema(BodySchema):
    """A new transaction or the fields to change; each kind's subclass adds its sign rule."""

    answered_with = TransactionSchema
    kind: Kind | None = None

    id = PublicId(
        metadata={
            "description": "The client's own id for the row (any case; answered lowercase). "
            "Sending a create again with the same id and content answers 200 with the stored "
            "row; the same id with other content is a 409. Without it the server makes a v7 UUID."
        }
    )
    description = TrimmedText(required=True, validate=Length(1, DESCRIPTION_LENGTH))
    amount = Money(required=True)
    category = TrimmedText(allow_none=True, load_default=None, validate=Length(1, CATEGORY_LENGTH))
    date = IsoDate(load_default=today_utc)
    account_id = PublicId(
        metadata={"description": "One of the caller's accounts (default: the default account)."}
    )

    @validates("amount")
    def _income_is_positive(self, value: Decimal, **kwargs: Any) -> None:
        if self.kind is Kind.INCOME and value < 0:
            raise ValidationError(_("An income must be positive."))

    @post_load
    def _expense_is_negative(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if self.kind is Kind.EXPENSE and "amount" in data:
            data["amount"] = data["amount"].copy_abs().copy_negate()  # exact: no rounding
        return data


class IncomeSchema(TransactionBodySchema):
    """A new income, or the fields to change: the amount must be positive."""

    kind = Kind.INCOME


class ExpenseSchema(TransactionBodySchema):
    """A new expense, or the fields to change: stored negative whatever sign is sent."""

    kind = Kind.EXPENSE


register_schema = RegisterSchema()
login_schema = LoginSchema()
password_change_schema = PasswordChangeSchema()
new_transaction_schemas = {Kind.INCOME: IncomeSchema(), Kind.EXPENSE: ExpenseSchema()}
transaction_patch_schemas = {
    Kind.INCOME: IncomeSchema(partial=True, exclude=("id",)),
    Kind.EXPENSE: ExpenseSchema(partial=True, exclude=("id",)),
}


def read_json() -> Any:
    """The parsed JSON request body; not JSON (or nested too deeply) is a 400 or 415 problem,
    too large a 413."""
    _refuse_oversize_stream()
    if not request.is_json:
        raise UnsupportedMediaType(
            _("The request body must be JSON (Content-Type: application/json).")
        )
    try:
        return decode(request.get_data(cache=True))
    except NestedTooDeeply:
        raise BadRequest(too_deeply_nested()) from None
    except ValueError:
        raise BadRequest(_("The request body is not valid JSON.")) from None


def _refuse_oversize_stream() -> None:
    """A chunked body (no Content-Length) is read up to the limit and silently cut there by
    Werkzeug; one more byte from the server's stream tells a cut body from a whole one."""
    limit = request.max_content_length
    if (
        request.content_length is not None
        or limit is None
        or request.mimetype != "application/json"
    ):
        return
    if len(request.get_data(cache=True)) >= limit and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


def load_body(schema: Schema) -> dict[str, Any]:
    """Validate the JSON request body; errors become a 400, 415 or 422 problem."""
    return schema.load(read_json())
