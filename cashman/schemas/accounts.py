"""Accounts as taken and answered: where money is, in one currency."""

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validates
from marshmallow.validate import Length

from ..i18n import _
from ..models import AccountKind
from .bodies import BodySchema
from .fields import Currency, MinorAmount, Money, PublicId, TrimmedText
from .responses import ResponseSchema
from .sizes import ACCOUNT_NAME_LENGTH


class AccountSchema(ResponseSchema):
    """An account: where money is, in one currency."""

    id = fields.UUID(required=True, attribute="public_id")
    name = fields.String(required=True)
    kind = fields.Enum(AccountKind, by_value=True, required=True)
    currency = fields.String(required=True, metadata={"description": "ISO 4217, upper case."})
    opening_balance = MinorAmount("opening_balance_minor", required=True, allow_zero=True)
    balance = MinorAmount(
        "balance_minor",
        required=True,
        allow_zero=True,
        metadata={"description": "opening_balance plus every transaction and transfer leg."},
    )
    archived = fields.Boolean(required=True)
    default = fields.Boolean(
        required=True, attribute="is_default", metadata={"description": "Exactly one is."}
    )
    version = fields.Integer(
        required=True,
        metadata={"description": "The user's change counter at the account's last change."},
    )
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class DeletedAccountSchema(ResponseSchema):
    """A deleted account, as the sync feed names it."""

    id = fields.UUID(required=True, attribute="public_id")
    version = fields.Integer(required=True, metadata={"description": "The version of its delete."})


account_schema = AccountSchema()
accounts_schema = AccountSchema(many=True)
deleted_accounts_schema = DeletedAccountSchema(many=True)


class AccountBodySchema(BodySchema):
    """A new account (POST /accounts, a sync `upsert_account`), or the fields to change."""

    answered_with = AccountSchema

    id = PublicId(
        metadata={
            "description": "The client's own id for the account: a retried create with the "
            "same id and content answers 200, with other content 409."
        }
    )
    name = TrimmedText(
        required=True,
        validate=Length(1, ACCOUNT_NAME_LENGTH),
        metadata={"description": "Unique per user, whatever its case."},
    )
    kind = fields.Enum(AccountKind, by_value=True, required=True)
    currency = Currency(required=True)
    opening_balance = Money(
        allow_zero=True,
        load_default=Decimal(0),
        metadata={"description": "In the account's currency; may be negative (a card)."},
    )
    archived = fields.Boolean(load_default=False)


class AccountPatchSchema(AccountBodySchema):
    """The fields of an account to change; `default: true` makes it the default."""

    default = fields.Boolean(
        metadata={"description": "Only true: the default moves here from the old one."}
    )

    @validates("default")
    def _only_true(self, value: bool, **kwargs: Any) -> None:
        if not value:
            raise ValidationError(_("Make another account the default instead."))


new_account_schema = AccountBodySchema()
# Partial: an absent field keeps the account's (no defaults are filled in).
account_patch_schema = AccountPatchSchema(partial=True, exclude=("id",))
