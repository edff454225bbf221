"""Transfers as taken and answered: money moved between two of the caller's accounts."""

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validates
from marshmallow.validate import Length

from ..i18n import _
from .bodies import BodySchema, today_utc
from .fields import IsoDate, MinorAmount, Money, PublicId, TrimmedText
from .responses import ResponseSchema
from .sizes import DESCRIPTION_LENGTH

DEFAULT_DESCRIPTION = "Transfer"


class TransferSchema(ResponseSchema):
    """A transfer: `amount` leaves one account, `to_amount` arrives in the other."""

    id = fields.UUID(required=True, attribute="public_id")
    from_account_id = fields.UUID(required=True)
    to_account_id = fields.UUID(required=True)
    amount = MinorAmount(
        "amount_minor",
        required=True,
        metadata={"description": "In the source account's currency; always positive."},
    )
    to_amount = MinorAmount(
        "to_amount_minor",
        currency="to_currency",
        required=True,
        metadata={"description": "In the destination's currency; `amount` in one currency."},
    )
    description = fields.String(required=True)
    date = fields.Date(required=True)
    version = fields.Integer(
        required=True,
        metadata={"description": "The higher of its two legs' versions (consecutive)."},
    )
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class TransferBodySchema(BodySchema):
    """A new transfer, or the fields of one to change."""

    answered_with = TransferSchema

    id = PublicId(
        metadata={
            "description": "The client's own id for the transfer: a retried create with the "
            "same id and content answers 200, with other content 409."
        }
    )
    from_account_id = PublicId(required=True)
    to_account_id = PublicId(required=True)
    amount = Money(required=True)
    to_amount = Money(
        metadata={
            "description": "Required when the accounts' currencies differ; otherwise optional "
            "and equal to `amount`."
        }
    )
    description = TrimmedText(
        load_default=DEFAULT_DESCRIPTION, validate=Length(1, DESCRIPTION_LENGTH)
    )
    date = IsoDate(load_default=today_utc, metadata={"description": "Default: today (UTC)."})

    @validates("amount", "to_amount")
    def _positive(self, value: Decimal, **kwargs: Any) -> None:
        if value < 0:
            raise ValidationError(_("A transfer's amount must be positive."))


transfer_schema = TransferSchema()
transfers_schema = TransferSchema(many=True)
new_transfer_schema = TransferBodySchema()
transfer_patch_schema = TransferBodySchema(partial=True, exclude=("id",))
