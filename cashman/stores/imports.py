"""Rows created in bulk, in batches inside one database transaction: an import, with its
duplicates skipped (and a transfer's two rows paired), and a seed (`flask demo`, `flask seed`).

A row with an `id` is a duplicate when the user has that id (whatever its content). A row
without one is a duplicate of a stored row of the same account, type, date, amount and
description: the
n-th such row of the file matches the n-th stored one, so a file with three identical coffees
against two stored creates one. Stored means stored before the import: rows it creates match
nothing. The user's write lock is taken before the first batch is written (a file refused in its
first batch never takes it) and held to the end, so the counts stay true and the new rows'
versions are consecutive.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from marshmallow import ValidationError
from sqlalchemy import Row, bindparam, func, select

from ..database import request_connection
from ..errors import flat_messages
from ..i18n import _
from ..models import Kind, Transaction
from ..money import to_minor
from .accounts import AccountStore
from .ledger import Ledger
from .pricing import priced
from .transfers import TransferStore, stage_transfer

ID_NAMES = ("id", "from_leg_id", "to_leg_id")  # a row's id, a transfer's legs' ids
Key = tuple[UUID, Kind, date, int, str]  # account, type, date, amount in minor units, description
KEYED_BY = (
    Transaction.account_id,
    Transaction.type,
    Transaction.date,
    Transaction.amount_minor,
    Transaction.description,
)
STORED_ON = (
    select(*KEYED_BY, func.count())
    .where(
        Transaction.user_id == bindparam("user_id"),
        Transaction.date.in_(bindparam("dates", expanding=True)),
        Transaction.created_version <= bindparam("before"),
    )
    .group_by(*KEYED_BY)
)


def key_of(kind: Kind, content: dict[str, Any]) -> Key:
    amount, description = content["amount_minor"], content["description"]
    return (content["account_id"], kind, content["date"], amount, description)


class Import:
    """One user's import, fed a batch of valid rows at a time; `finish` commits or discards it."""

    def __init__(self, user_id: int) -> None:
        self.ledger = Ledger(user_id)
        self.accounts = AccountStore(user_id)
        self.transfers = TransferStore(user_id)
        self.legs: dict[UUID, tuple[int, dict[str, Any]]] = {}  # TRANSFER rows awaiting a partner
        self.paired: set[UUID] = set()
        self.before: int | None = None  # the counter when the lock was taken, at the first batch
        self.unmatched: dict[Key, int] = {}  # stored rows no row of the file has matched yet
        self.dates_read: set[date] = set()
        self.created = self.skipped_duplicates = 0

    def priced(
        self, kind: Kind, fields: dict[str, Any], account_id: UUID | None
    ) -> tuple[Kind, dict[str, Any]] | dict[str, list[str]]:
        """A valid row in its account (its `account_id`, the file's, or the default), or why
        it does not fit there."""
        if account_id is not None:
            fields = {"account_id": account_id, **fields}
        try:
            return kind, self.accounts.new_row(fields)
        except ValidationError as error:
            return flat_messages(error.messages)

    def leg(
        self, number: int, fields: dict[str, Any], account_id: UUID | None
    ) -> tuple[Kind, dict[str, Any]] | dict[str, list[str]] | None:
        """A TRANSFER row: held until the other row of its transfer comes (None), then the two
        as one transfer (Kind.TRANSFER, its content), or why they do not make one."""
        if account_id is not None:
            fields = {"account_id": account_id, **fields}
        transfer_id = fields["transfer_id"]
        if transfer_id in self.paired:
            return {"transfer_id": [_("A transfer has two rows, not more.")]}
        if (partner := self.legs.pop(transfer_id, None)) is None:
            self.legs[transfer_id] = (number, fields)
            return None
        self.paired.add(transfer_id)
        source, destination = sorted((partner[1], fields), key=lambda leg: leg["amount"])
        if source["amount"] > 0 or destination["amount"] < 0:
            return {"type": [_("A transfer's rows are one negative and one positive amount.")]}
        transfer = {
            "from_account_id": source.get("account_id"),
            "to_account_id": destination.get("account_id"),
            "amount": -source["amount"],
            "to_amount": destination["amount"],
            "description": source["description"],
            "date": source["date"],
        }
        try:
            content = self.transfers.resolved(transfer)
        except ValidationError as error:
            return flat_messages(error.messages)
        leg_ids = {"from_leg_id": source.get("id"), "to_leg_id": destination.get("id")}
        return Kind.TRANSFER, content | leg_ids | {"id": transfer_id}

    def unpaired(self) -> dict[int, dict[str, list[str]]]:
        """The TRANSFER rows whose partner never came, by row number."""
        alone = [_("A TRANSFER row needs the other row of its transfer (its transfer_id).")]
        return {number: {"type": alone} for number, _fields in self.legs.values()}

    def add(self, rows: list[tuple[Kind, dict[str, Any]]]) -> None:
        """Create the rows (and transfers) that are no duplicates, in one executemany."""
        if not rows:
            return
        if self.before is None:  # first: the lock keeps the counts true to the end
            self.before = self.ledger.lock()
        ids = [content[name] for _, content in rows for name in ID_NAMES if content.get(name)]
        known = set(self.ledger.find(ids)) if ids else set()
        self._read_stored({content["date"] for _, content in rows if "id" not in content})
        for kind, content in rows:
            rows_of = 2 if kind is Kind.TRANSFER else 1
            if self._is_duplicate(kind, content, known):
                self.skipped_duplicates += rows_of
                continue
            if kind is Kind.TRANSFER:
                stage_transfer(self.ledger, content)
            else:
                self.ledger.stage(kind, content)
            self.created += rows_of
        self.ledger.write_staged()

    def finish(self, keep: bool) -> None:
        """Commit everything (`keep`), or write nothing: a dry run, or a file with a bad row."""
        if not keep or self.before is None:
            self.ledger.discard()
            return
        self.ledger.commit()

    def _is_duplicate(self, kind: Kind, content: dict[str, Any], known: set) -> bool:
        if kind is Kind.TRANSFER:  # the caller has the transfer, or a row with a leg's id
            legs = {content["from_leg_id"], content["to_leg_id"]} - {None}
            duplicate = bool(legs & known) or self.transfers.find(content["id"]) is not None
            known |= legs
            return duplicate
        if "id" in content:
            duplicate = content["id"] in known
            known.add(content["id"])  # a second row with the id in the file is one, too
            return duplicate
        key = key_of(kind, content)
        if self.unmatched.get(key, 0) > 0:
            self.unmatched[key] -= 1
            return True
        return False

    def _read_stored(self, dates: set[date]) -> None:
        """Count the stored rows on these dates by key (once per date)."""
        dates -= self.dates_read
        if not dates:
            return
        bound = {"user_id": self.ledger.user_id, "dates": sorted(dates), "before": self.before}
        for *key, count in request_connection().execute(STORED_ON, bound):
            self.unmatched[tuple(key)] = count
        self.dates_read |= dates


def seed_accounts(user_id: int, wanted: list[dict[str, Any]]) -> dict[str, Row]:
    """The user's accounts with these names, opened (with these fields) where the user has
    none yet, by name; committed (`flask seed`)."""
    ledger, store = Ledger(user_id), AccountStore(user_id)
    ledger.lock()
    for account in wanted:
        if store.find_named(account["name"]) is None:
            store.write_open(ledger, {"opening_balance_minor": 0, "archived": False, **account})
    ledger.commit()
    return {account["name"]: store.find_named(account["name"]) for account in wanted}


def seed_rows(user_id: int, rows: Iterable[tuple[Kind, dict[str, Any]]], batch: int = 5000) -> int:
    """Create every row and transfer (no duplicate check) under the user's next versions, a
    batch at a time, and commit; return how many rows (a transfer is two). A row goes into
    its `account_id` (of its `currency`), else the default account; a transfer names both of
    its accounts and currencies (`flask demo`, `flask seed`)."""
    ledger = Ledger(user_id)
    ledger.lock()
    default = AccountStore(user_id).default()
    created = staged = 0
    for kind, fields in rows:
        if kind is Kind.TRANSFER:
            amounts = {
                "amount_minor": to_minor(fields["amount"], fields["currency"]),
                "to_amount_minor": to_minor(fields["to_amount"], fields["to_currency"]),
            }
            stage_transfer(ledger, fields | amounts)
            staged += 2
        else:
            account_id = fields.get("account_id", default.public_id)
            currency = fields.get("currency", default.currency)
            ledger.stage(kind, priced(fields, account_id, currency))
            staged += 1
        if staged >= batch:
            ledger.write_staged()
            created, staged = created + staged, 0
    created += staged
    ledger.commit()
    return created
