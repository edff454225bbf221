"""An account's writes, through the user's `Ledger`: each takes the user's next version (and
so their write lock), and a delete leaves a tombstone, as a row's do."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, delete, update

from ..database import write_connection
from ..filters import fold
from ..models import ACCOUNT_CONTENT, Account, new_public_id
from . import ledger_statements as sql
from .ledger import Ledger


def open_account(ledger: Ledger, content: dict[str, Any], is_default: bool = False) -> uuid.UUID:
    """Insert an account (under its `id` if named) at the next version; the caller has
    checked under `lock()` that the id and the name are free. Returns its id."""
    version = ledger.next_version()
    now = datetime.now(UTC)
    values = {name: content[name] for name in ACCOUNT_CONTENT}
    values |= {"public_id": content.get("id") or new_public_id(), "user_id": ledger.user_id}
    values |= {"name_key": fold(content["name"]), "is_default": is_default}
    values |= {"created_at": now, "updated_at": now, "version": version}
    write_connection().execute(sql.OPEN_ACCOUNT, {**values, "created_version": version})
    return values["public_id"]


def update_account(ledger: Ledger, account: Row, changes: dict[str, Any]) -> int:
    """Give the account these (real) changes under the next version, under `lock()`."""
    values = dict(changes)
    if "name" in values:
        values["name_key"] = fold(values["name"])
    version = ledger.next_version()
    write_connection().execute(
        update(Account)
        .where(Account.user_id == ledger.user_id, Account.public_id == account.public_id)
        .values(**values, updated_at=datetime.now(UTC), version=version)
    )
    return version


def delete_account(ledger: Ledger, account: Row) -> int:
    """Delete an account that holds no row, under `lock()`, and leave its tombstone."""
    version = ledger.next_version()
    ledger.write_totals()  # a batch may have emptied it: its totals are deleted with it
    connection = write_connection()
    connection.execute(
        delete(Account).where(
            Account.user_id == ledger.user_id, Account.public_id == account.public_id
        )
    )
    tombstone = {"public_id": account.public_id, "version": version}
    connection.execute(
        sql.bury_account(connection.dialect.name),
        {"user_id": ledger.user_id, **tombstone, "deleted_at": datetime.now(UTC)},
    )
    ledger.deleted = True
    return version
