"""Accounts as answered: where money is, in one currency."""

from marshmallow import fields

from ..models import AccountKind
from .fields import MinorAmount
from .responses import ResponseSchema


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
