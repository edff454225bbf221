"""The per-user transfer store: money moved between two of a user's accounts.

A transfer is two rows of kind TRANSFER sharing its id (`transfer_id`): `-amount` in the
source account and `+to_amount` in the destination. Both are written through the user's
`Ledger` in one database transaction, each under its own version (consecutive: the user's
write lock is held), so balances move together and a page of GET /sync never splits one.
The legs change only here: created, updated and deleted together.
"""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from marshmallow import ValidationError
from sqlalchemy import Row
from werkzeug.exceptions import Conflict, NotFound

from ..database import request_connection, write_connection
from ..i18n import _
from ..models import Kind, new_public_id
from ..money import from_minor
from . import transfer_statements as sql
from .accounts import AccountStore
from .ledger import Ledger
from .pricing import minor_units

# What a client writes of a transfer: two creates with these equal are the same.
TRANSFER_CONTENT = (
    "from_account_id",
    "to_account_id",
    "amount_minor",
    "to_amount_minor",
    "description",
    "date",
)
ENDS = {"from_account_id": "currency", "to_account_id": "to_currency"}


class TransferStore:
    """One user's transfers."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    # Reading

    def page(self, limit: int, after: tuple[date, int] | None = None) -> list[Row]:
        """Up to `limit` transfers newest first, after the (date, created_version) position."""
        if after is None:
            return self._read(sql.PAGE, limit=limit).all()
        return self._read(sql.PAGE_AFTER, limit=limit, after_date=after[0], after=after[1]).all()

    def count(self) -> int:
        """How many transfers the user has, from the running totals (constant time)."""
        return int(self._read(sql.LEG_COUNT).scalar_one()) // 2

    def get(self, transfer_id: UUID) -> Row:
        """One of the user's transfers, or a 404."""
        if (transfer := self._read(sql.ONE, transfer_id=transfer_id).first()) is None:
            raise NotFound()
        return transfer

    def find(self, transfer_id: UUID) -> Row | None:
        """The transfer as it is now, under the write lock."""
        bound = {"user_id": self.user_id, "transfer_id": transfer_id}
        return write_connection().execute(sql.ONE, bound).first()

    def resolved(self, fields: dict[str, Any], current: Row | None = None) -> dict[str, Any]:
        """A transfer's fields (all, or a change to `current`) as it is written: both accounts
        checked, the amounts in their currencies' minor units. A field that is wrong is a 422
        naming it."""
        accounts, ends = AccountStore(self.user_id), {}
        for name, currency in ENDS.items():
            if (
                current is not None
                and fields.get(name, current._mapping[name]) == current._mapping[name]
            ):
                ends[name] = (current._mapping[name], current._mapping[currency])
            else:  # a new end: absent, foreign or archived accounts are refused
                account = accounts.for_new_row(fields[name], name)
                ends[name] = (account.public_id, account.currency)
        (from_id, currency), (to_id, to_currency) = ends.values()
        if from_id == to_id:
            raise ValidationError({"to_account_id": [_("A transfer goes to another account.")]})
        amount, errors = fields.get("amount"), {}
        if amount is None and current.currency == currency:
            amount = from_minor(current.amount_minor, current.currency)
        elif amount is None:  # the number it had meant another currency
            errors["amount"] = [_("Required when the source account's currency changes.")]
        to_amount, to_errors = self._to_amount(fields, current, amount, currency, to_currency)
        errors |= to_errors
        content = {"from_account_id": from_id, "to_account_id": to_id}
        content |= {"currency": currency, "to_currency": to_currency}
        priced = [("amount", amount, currency)]
        if currency != to_currency:  # in one currency, to_amount is the amount
            priced.append(("to_amount", to_amount, to_currency))
        for name, value, in_currency in priced:
            try:
                content[f"{name}_minor"] = (
                    None if value is None else minor_units(value, in_currency, name)
                )
            except ValidationError as error:
                errors |= error.messages
        if errors:
            raise ValidationError(errors)
        if currency == to_currency:
            content["to_amount_minor"] = content["amount_minor"]
        for name in ("description", "date"):
            content[name] = fields[name] if name in fields else current._mapping[name]
        return content

    # Writing

    def ledger(self) -> Ledger:
        return Ledger(self.user_id)

    def insert(self, ledger: Ledger, content: dict[str, Any]) -> Row | None:
        """Write both legs of a new transfer (under its `id` if named), not committed, and
        return it; None if the user has a transfer with that id already."""
        ledger.lock()
        if content.get("id") is not None and self.find(content["id"]) is not None:
            return None
        transfer_id = stage_transfer(ledger, content)
        ledger.write_staged()
        return self.find(transfer_id)

    def created_before(self, content: dict[str, Any]) -> Row:
        """The stored transfer with the id of a create that wrote nothing, if it is that create
        (a retry); a 409 if it has other content."""
        transfer = self.find(content["id"])
        if transfer is None:
            raise Conflict(_("The transfer is being changed by other requests; try again."))
        if not same_transfer(transfer, content):
            raise Conflict(_("You already have a transfer with this id and other content."))
        return transfer

    def rewrite(self, ledger: Ledger, transfer: Row, content: dict[str, Any]) -> Row | None:
        """Give both legs the transfer's new content, each under its next version (not
        committed); None if the transfer is no longer the version read."""
        legs = self._legs(ledger, transfer)
        if legs is None:
            return None
        for leg, changes in zip(legs, leg_contents(content), strict=True):
            changed = {
                name: value for name, value in changes.items() if leg._mapping[name] != value
            }
            ledger.update(leg, changed)
        return self.find(transfer.public_id)

    def bury(self, ledger: Ledger, transfer: Row) -> int | None:
        """Delete both legs, each leaving its tombstone (not committed); the version of the
        second, or None if the transfer is no longer the version read."""
        legs = self._legs(ledger, transfer)
        if legs is None:
            return None
        return [ledger.delete(leg) for leg in legs][-1]

    def change(self, transfer: Row, content: dict[str, Any]) -> Row | None:
        """PATCH: rewrite the transfer and commit (nothing when nothing differs)."""
        if same_transfer(transfer, content):
            return transfer
        ledger = self.ledger()
        if (written := self.rewrite(ledger, transfer, content)) is None:
            ledger.discard()
            return None
        ledger.commit()
        return written

    def remove(self, transfer: Row) -> Row | None:
        """DELETE: delete the transfer's legs and commit."""
        ledger = self.ledger()
        if self.bury(ledger, transfer) is None:
            ledger.discard()
            return None
        ledger.commit()
        return transfer

    # Helpers

    def _legs(self, ledger: Ledger, transfer: Row) -> tuple[Row, Row] | None:
        """The transfer's two legs (source first) under the lock, if still as read."""
        ledger.lock()
        found = ledger.find([transfer.from_leg_id, transfer.to_leg_id])
        legs = found.get(transfer.from_leg_id), found.get(transfer.to_leg_id)
        versions = (transfer.from_leg_version, transfer.to_leg_version)
        if None in legs or tuple(leg.version for leg in legs) != versions:
            return None
        return legs

    @staticmethod
    def _to_amount(
        fields: dict[str, Any],
        current: Row | None,
        amount: Decimal | None,
        currency: str,
        to_currency: str,
    ) -> tuple[Decimal | None, dict[str, list[str]]]:
        """What the destination receives: the amount itself in one currency (a different
        value is refused); in another, the one given, else the one it had there."""
        given = fields.get("to_amount")
        if currency == to_currency:
            if given is not None and amount is not None and given != amount:
                return None, {"to_amount": [_("In one currency, to_amount equals amount.")]}
            return amount, {}
        if given is not None:
            return given, {}
        if current is not None and current.to_currency == to_currency:
            return from_minor(current.to_amount_minor, to_currency), {}
        return None, {"to_amount": [_("Required when the accounts' currencies differ.")]}

    def _read(self, statement: Any, **values: Any) -> Any:
        return request_connection().execute(statement, {"user_id": self.user_id, **values})


def same_transfer(transfer: Row, content: dict[str, Any]) -> bool:
    """Whether the transfer already is what `content` (as `resolved` makes it) describes."""
    return all(transfer._mapping[name] == content[name] for name in TRANSFER_CONTENT)


def stage_transfer(ledger: Ledger, content: dict[str, Any]) -> UUID:
    """Queue a new transfer's two legs in the ledger, the source first (the lower version),
    under the ids the content names (`id`, `from_leg_id`, `to_leg_id`) or new ones; its id."""
    transfer_id = content.get("id") or new_public_id()
    leg_ids = (content.get("from_leg_id"), content.get("to_leg_id"))
    for leg, leg_id in zip(leg_contents(content), leg_ids, strict=True):
        named = {"category": None, "transfer_id": transfer_id, "id": leg_id}
        ledger.stage(Kind.TRANSFER, leg | named)
    return transfer_id


def leg_contents(content: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The source leg's and the destination leg's columns of a transfer's content."""
    shared = {"description": content["description"], "date": content["date"]}
    return (
        shared
        | {"account_id": content["from_account_id"], "currency": content["currency"]}
        | {"amount_minor": -content["amount_minor"]},
        shared
        | {"account_id": content["to_account_id"], "currency": content["to_currency"]}
        | {"amount_minor": content["to_amount_minor"]},
    )
