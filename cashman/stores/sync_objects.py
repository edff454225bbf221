"""POST /sync's account and transfer operations, applied under the batch's write lock with the
same results and conflict rules as a row's upsert and delete (cashman.stores.sync_batch).

A change that cannot apply is `invalid` with the texts the HTTP routes answer (a 409 there is an
invalid result here: a batch goes on)."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError
from werkzeug.exceptions import Conflict

from ..errors import FieldErrors, flat_messages
from ..i18n import _
from . import account_writes
from .accounts import AccountStore, differing
from .ledger import Ledger
from .pricing import account_columns
from .transfers import TransferStore, same_transfer

# What a create must name (an update keeps what it leaves out).
REQUIRED = {
    "upsert_account": ("name", "kind", "currency"),
    "upsert_transfer": ("from_account_id", "to_account_id", "amount"),
}


class ObjectChanges:
    """A batch's account and transfer operations, on the batch's ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.accounts = AccountStore(ledger.user_id)
        self.transfers = TransferStore(ledger.user_id)

    def apply(self, change: Any, outcome: type) -> Any:
        """What became of one operation (an `outcome` of the batch's kind)."""
        apply = getattr(self, change.op)
        try:
            return apply(change, outcome)
        except ValidationError as error:
            return outcome(change.id, "invalid", errors=flat_messages(error.messages))
        except FieldErrors as error:
            return outcome(change.id, "invalid", errors=error.errors)
        except Conflict as error:  # the texts of the HTTP 409s, naming what was refused
            return outcome(change.id, "invalid", errors={"currency": [error.description]})

    def upsert_account(self, change: Any, outcome: type) -> Any:
        account = self.accounts.find(change.id)
        if account is None:
            if change.base_version is not None:  # the client saw an account deleted since
                return outcome(change.id, "conflict")
            _require(change)
            fields = {"opening_balance": Decimal(0), "archived": False, **change.fields}
            content = account_columns(fields, fields["currency"]) | {"id": change.id}
            self.accounts.write_open(self.ledger, content)
            return outcome(change.id, "created", version=self.ledger.knowledge)
        currency = change.fields.get("currency", account.currency)
        changes = differing(account, account_columns(change.fields, currency, account))
        if not changes:
            return outcome(change.id, "unchanged")
        if change.base_version != account.version:
            return outcome(change.id, "conflict", current=account)
        version = self.accounts.write_change(self.ledger, account, changes)
        return outcome(change.id, "updated", version=version)

    def delete_account(self, change: Any, outcome: type) -> Any:
        account = self.accounts.find(change.id)
        if (refused := _not_to_delete(change, account, outcome)) is not None:
            return refused
        if (refusal := self.accounts.undeletable(account)) is not None:
            return outcome(change.id, "invalid", errors={"id": [refusal]})
        version = account_writes.delete_account(self.ledger, account)
        return outcome(change.id, "deleted", version=version)

    def upsert_transfer(self, change: Any, outcome: type) -> Any:
        transfer = self.transfers.find(change.id)
        if transfer is None:
            if change.base_version is not None:
                return outcome(change.id, "conflict")
            _require(change)
            today = datetime.now(UTC).date()
            fields = {"description": "Transfer", "date": today, **change.fields}
            content = self.transfers.resolved(fields) | {"id": change.id}
            created = self.transfers.insert(self.ledger, content)
            return outcome(change.id, "created", version=created.version)
        content = self.transfers.resolved(change.fields, transfer)
        if same_transfer(transfer, content):
            return outcome(change.id, "unchanged")
        if change.base_version != transfer.version:
            return outcome(change.id, "conflict", current=transfer)
        written = self.transfers.rewrite(self.ledger, transfer, content)
        return outcome(change.id, "updated", version=written.version)

    def delete_transfer(self, change: Any, outcome: type) -> Any:
        transfer = self.transfers.find(change.id)
        if (refused := _not_to_delete(change, transfer, outcome)) is not None:
            return refused
        version = self.transfers.bury(self.ledger, transfer)
        return outcome(change.id, "deleted", version=version)


def _not_to_delete(change: Any, current: Any, outcome: type) -> Any:
    """A delete's outcome when there is nothing to delete (unchanged, or a conflict if the
    client saw it) or the client saw another version (a conflict); None: delete it."""
    if current is None:
        return outcome(change.id, "unchanged" if change.base_version is None else "conflict")
    if change.base_version not in (None, current.version):
        return outcome(change.id, "conflict", current=current)
    return None


def _require(change: Any) -> None:
    """A create names every field a create must have."""
    missing = [name for name in REQUIRED[change.op] if name not in change.fields]
    if missing:
        raise ValidationError({name: [_("Missing data for required field.")] for name in missing})
