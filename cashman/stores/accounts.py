"""The per-user account store: one user's accounts with their balances, the account a new row
goes into, and accounts opened, changed and deleted through the user's `Ledger`.

Every account write takes the user's write lock first (the counter every change counts on),
so the checks it makes (the id, the name, whether the account holds rows) stay true to its
commit. Another user's account is the same as an absent one: a 404, or a 422 naming the field
that gave its id.
"""

from typing import Any
from uuid import UUID

from marshmallow import ValidationError
from sqlalchemy import Row
from werkzeug.exceptions import Conflict, NotFound

from ..database import db, request_connection, write_connection
from ..errors import FieldErrors
from ..filters import fold
from ..i18n import _
from ..models import ACCOUNT_CONTENT, Account
from . import account_writes as writes
from . import ledger_statements as sql
from .ledger import AccountGone, Ledger
from .pricing import priced

BY_NAME = (Account.name_key, Account.public_id)


def archived_message() -> str:
    return _("The account is archived.")


def absent_message() -> str:
    return _("The account does not exist.")


class AccountStore:
    """One user's accounts."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    # Reading

    def all(self, archived: bool | None = None) -> list[Row]:
        """Every account with its balance, ordered by name whatever its case (`archived`:
        only those that are, or are not)."""
        query = sql.FIND_ACCOUNTS
        if archived is not None:
            query = query.where(Account.archived == archived)
        found = request_connection().execute(query, {"user_id": self.user_id}).all()
        return sorted(found, key=lambda account: (fold(account.name), str(account.public_id)))

    def get(self, public_id: UUID) -> Row:
        """One of the user's accounts with its balance, or a 404."""
        if (account := self.named(public_id)) is None:
            raise NotFound()
        return account

    def named(self, public_id: UUID) -> Row | None:
        """One of the user's accounts with its balance, or None (absent, or another's)."""
        return self._find(public_id, request_connection())

    def default(self) -> Row:
        """The user's default account."""
        query = sql.FIND_ACCOUNTS.where(Account.is_default)
        account = request_connection().execute(query, {"user_id": self.user_id}).first()
        if account is None:  # the user was deleted while the request ran
            db.session.rollback()
            raise AccountGone()
        return account

    def for_new_row(self, account_id: UUID | None, name: str = "account_id") -> Row:
        """The account a new row goes into: the named one, or the default; an absent, another
        user's or an archived account is refused naming the field."""
        if account_id is None:
            return self.default()
        account = self._find(account_id, write_connection())
        if account is None:
            raise ValidationError({name: [absent_message()]})
        if account.archived:
            raise ValidationError({name: [archived_message()]})
        return account

    def new_row(self, fields: dict[str, Any]) -> dict[str, Any]:
        """A new row's fields priced in its account (`account_id`, else the default)."""
        account = self.for_new_row(fields.get("account_id"))
        return priced(fields, account.public_id, account.currency)

    def changed_row(self, row: Row, fields: dict[str, Any]) -> dict[str, Any]:
        """A change's fields priced in the row's account, or in the one it moves to, which
        must be of the row's currency."""
        account_id = row.account_id
        if fields.get("account_id") not in (None, row.account_id):
            account = self.for_new_row(fields["account_id"])
            if account.currency != row.currency:
                raise ValidationError({"account_id": [_("The account's currency differs.")]})
            account_id = account.public_id
        return priced(fields, account_id, row.currency)

    def holds_rows(self, public_id: UUID) -> bool:
        bound = {"user_id": self.user_id, "public_id": public_id}
        return write_connection().scalar(sql.HOLDS_ROWS, bound) is not None

    # Writing

    def ledger(self) -> Ledger:
        return Ledger(self.user_id)

    def open(self, content: dict[str, Any]) -> tuple[Row, bool]:
        """Open an account under the client's `id` if it gives one and commit; (account,
        created). The same id with the same content is a retry (not created); with other
        content, or a name the user has already, a 409."""
        ledger = self.ledger()
        ledger.lock()
        if (existing := self.find(content.get("id"))) is not None:
            ledger.discard()
            if not self.same(existing, content):
                raise Conflict(_("You already have an account with this id and other content."))
            return existing, False
        public_id = self.write_open(ledger, content)
        ledger.commit()
        return self.get(public_id), True

    def change(self, account: Row, fields: dict[str, Any]) -> Row | None:
        """Give the account the fields that differ and commit; None (nothing written) if it is
        no longer the version read."""
        if not (changes := differing(account, fields)):
            return account
        ledger = self.ledger()
        ledger.lock()
        if not self._is_current(account):
            ledger.discard()
            return None
        self.write_change(ledger, account, changes)
        ledger.commit()
        return self.get(account.public_id)

    def delete(self, account: Row) -> Row | None:
        """Delete an empty account that is not the default (a 409 otherwise) and commit; None
        (nothing written) if it is no longer the version read."""
        ledger = self.ledger()
        ledger.lock()
        if not self._is_current(account):
            ledger.discard()
            return None
        if (refusal := self.undeletable(account)) is not None:
            raise Conflict(refusal)
        writes.delete_account(ledger, account)
        ledger.commit()
        return account

    # Writing under the lock, not committed (a sync batch's changes, and the above)

    def find(self, public_id: UUID | None) -> Row | None:
        """The account as it is now, under the lock (None: the user has none with this id)."""
        return None if public_id is None else self._find(public_id, write_connection())

    def find_named(self, name: str) -> Row | None:
        """The account with this name whatever its case, under the lock."""
        query = sql.FIND_ACCOUNTS.where(Account.name_key == fold(name))
        return write_connection().execute(query, {"user_id": self.user_id}).first()

    @staticmethod
    def same(account: Row, content: dict[str, Any]) -> bool:
        """Whether the account already is what a create's `content` describes."""
        return all(account._mapping[key] == content[key] for key in ACCOUNT_CONTENT)

    def write_open(self, ledger: Ledger, content: dict[str, Any]) -> UUID:
        """Insert a new account (a 409 naming `name` if the user has the name), as the default
        if `is_default` says so; its id."""
        self._refuse_taken_name(content["name"])
        is_default = content.get("is_default", False)
        if is_default:
            if content["archived"]:
                raise ValidationError({"default": [archived_message()]})
            writes.update_account(ledger, self.default(), {"is_default": False})
        return writes.open_account(ledger, content, is_default)

    def write_change(self, ledger: Ledger, account: Row, changes: dict[str, Any]) -> int:
        """Give the account these real changes (a default moves from the old one, which
        changes too); refused as `_check_change` says. The account's new version."""
        self._check_change(account, changes)
        if changes.get("is_default"):
            writes.update_account(ledger, self.default(), {"is_default": False})
        return writes.update_account(ledger, account, changes)

    def undeletable(self, account: Row) -> str | None:
        """Why the account cannot be deleted (under the lock), or None if it can."""
        if account.is_default:
            return default_message()
        if self.holds_rows(account.public_id):
            return _("Archive it, or move its transactions first.")
        return None

    # Helpers

    def _is_current(self, account: Row) -> bool:
        """Whether the account is still the version read (under the lock)."""
        current = self._find(account.public_id, write_connection())
        return current is not None and current.version == account.version

    def _check_change(self, account: Row, changes: dict[str, Any]) -> None:
        """Refuse a change that would leave no usable default, or change the currency of an
        account with rows, or take a name the user has."""
        archived = changes.get("archived", account.archived)
        is_default = changes.get("is_default", account.is_default)
        if archived and is_default:
            if "archived" in changes:
                raise ValidationError({"archived": [default_message()]})
            raise ValidationError({"default": [archived_message()]})
        if "name" in changes and fold(changes["name"]) != fold(account.name):
            self._refuse_taken_name(changes["name"])
        if "currency" in changes and self.holds_rows(account.public_id):
            raise Conflict(_("The account holds transactions: its currency cannot change."))

    def _find(self, public_id: UUID, connection: Any) -> Row | None:
        query = sql.FIND_ACCOUNTS.where(Account.public_id == public_id)
        return connection.execute(query, {"user_id": self.user_id}).first()

    def _refuse_taken_name(self, name: str) -> None:
        if self.find_named(name) is not None:
            raise FieldErrors(
                {"name": [_("You already have an account with this name.")]},
                409,
                _("The account name is already taken."),
            )


def differing(account: Row, fields: dict[str, Any]) -> dict[str, Any]:
    """The fields whose values the account does not have already."""
    return {key: value for key, value in fields.items() if account._mapping[key] != value}


def default_message() -> str:
    return _("Choose another default account first.")
