"""What changed in a user's transactions and accounts since a version: the feed GET /sync
pages through.

Each change took the next value of the user's counter (cashman.stores.ledger), so a client that
remembers the last value it saw asks only for what came after it. A deleted row leaves a
tombstone with the version of its delete; tombstones older than SYNC_RETENTION_DAYS are
forgotten, and a client that has seen nothing since before them must start over (410).
"""

from dataclasses import dataclass

from sqlalchemy import (
    Row,
    bindparam,
    cast,
    exists,
    literal,
    null,
    select,
    true,
    union_all,
)
from werkzeug.exceptions import Gone

from ..database import request_connection
from ..i18n import _
from ..models import MAX_VERSION, Account, DeletedAccount, DeletedTransaction, Transaction, User
from .ledger_statements import ACCOUNT_ANSWERED


@dataclass(frozen=True)
class Changes:
    """One page of the feed: rows and accounts in their latest state, tombstones, and where
    the page ends."""

    server_knowledge: int
    has_more: bool
    changed: list[Row]
    deleted: list[Row]
    accounts: list[Row]
    deleted_accounts: list[Row]


class ChangeFeed:
    """One user's feed of changes."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    def since(self, since: int, limit: int) -> Changes:
        """Every change after version `since`, oldest first, at most `limit` of them.

        One statement reads the counter and the changes, so both come from one snapshot: every
        version up to the counter is there, and none above it. A 410 when `since` is above the
        counter, or below the deletes already forgotten (0, a full sync, is always answered).
        """
        gone = Gone(_("These changes are no longer available: sync again from 0."))
        if since > MAX_VERSION:  # above every counter (and beyond what the column can compare)
            raise gone
        bound = {"user_id": self.user_id, "since": since, "limit": limit + 1}
        rows = request_connection().execute(_FEED, bound).all()
        if since > rows[0].server_knowledge or 0 < since < rows[0].forgotten_through:
            raise gone
        entries = [row for row in rows if row.version is not None]
        has_more = len(entries) > limit
        entries = entries[:limit]
        of = {entry: [row for row in entries if row.entry == entry] for entry in ENTRIES}
        return Changes(
            server_knowledge=entries[-1].version if has_more else rows[0].server_knowledge,
            has_more=has_more,
            **of,
        )


ENTRIES = ("changed", "deleted", "accounts", "deleted_accounts")


def _feed():
    """The counter, and the next changes after it: rows, accounts and their tombstones merged
    by version, each entry tagged with the list it belongs to.

    A tombstone of an id that exists again (deleted, then created anew) is left out: the row
    is its latest state. The four sides share one set of columns (null where a side has none).
    """
    user, since, limit = bindparam("user_id"), bindparam("since"), bindparam("limit")
    rows = {column.key: column for column in Transaction.listed()}
    accounts = {column.key: column for column in ACCOUNT_ANSWERED}
    columns = {**{name: column.type for name, column in (rows | accounts).items()}}
    row_alive = exists().where(
        Transaction.user_id == user, Transaction.public_id == DeletedTransaction.public_id
    )
    account_alive = exists().where(
        Account.user_id == user, Account.public_id == DeletedAccount.public_id
    )
    sides = {
        "changed": (rows, Transaction, ()),
        "deleted": (
            {name: getattr(DeletedTransaction, name) for name in ("public_id", "type", "version")},
            DeletedTransaction,
            (~row_alive,),
        ),
        "accounts": (accounts, Account, ()),
        "deleted_accounts": (
            {name: getattr(DeletedAccount, name) for name in ("public_id", "version")},
            DeletedAccount,
            (~account_alive,),
        ),
    }
    pages = []
    for entry, (side, table, where) in sides.items():
        selected = [literal(entry).label("entry")] + [
            side[name].label(name) if name in side else cast(null(), type_).label(name)
            for name, type_ in columns.items()
        ]
        query = select(*selected).where(table.user_id == user, table.version > since, *where)
        # Each side is cut to a page by its (user_id, version) index first, then they merge.
        pages.append(select(query.order_by(table.version).limit(limit).subquery()))
    merged = union_all(*pages).order_by("version").limit(limit).subquery()
    return (
        select(User.server_knowledge, User.forgotten_through, merged)
        .outerjoin(merged, true())
        .where(User.id == user)
        .order_by(merged.c.version)
    )


_FEED = _feed()
