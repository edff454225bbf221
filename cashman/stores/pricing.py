"""Amounts meeting their currency: what a client sends, as the minor units the database keeps.

A currency's digits are its own (cashman.currencies): an amount with more is refused naming
its field, never rounded.
"""

from decimal import Decimal
from typing import Any
from uuid import UUID

from marshmallow import ValidationError
from sqlalchemy import Row

from ..i18n import _
from ..money import TooManyDecimals, from_minor, to_minor


def minor_units(amount: Decimal, currency: str, name: str = "amount") -> int:
    """The amount in the currency's minor units; more decimals than the currency has is
    refused naming the field."""
    try:
        return to_minor(amount, currency)
    except TooManyDecimals as error:
        message = _("An amount has at most {places} decimal places.").format(places=error.digits)
        raise ValidationError({name: [message]}) from None


def priced(fields: dict[str, Any], account_id: UUID, currency: str) -> dict[str, Any]:
    """A row's fields as the ledger writes them in this account: `account_id`, `currency` and
    the amount (if given) in the currency's minor units."""
    content = {key: value for key, value in fields.items() if key != "amount"}
    content |= {"account_id": account_id, "currency": currency}
    if "amount" in fields:
        content["amount_minor"] = minor_units(fields["amount"], currency)
    return content


def account_columns(
    fields: dict[str, Any], currency: str, account: Row | None = None
) -> dict[str, Any]:
    """An account body's fields as the account's columns: `default` as `is_default`, the
    opening balance in the minor units of `currency` (the account's, or the one it changes to,
    which keeps the amount it had)."""
    columns = {name: value for name, value in fields.items() if name not in OWN_NAMES}
    if "default" in fields:
        columns["is_default"] = fields["default"]
    opening = fields.get("opening_balance")
    if opening is None and account is not None and currency != account.currency:
        opening = from_minor(account.opening_balance_minor, account.currency)
    if opening is not None:
        columns["opening_balance_minor"] = minor_units(opening, currency, "opening_balance")
    return columns


OWN_NAMES = ("default", "opening_balance")  # a body's names that are not the columns'
