"""What changed in a user's transactions since a version: the feed GET /sync pages through.

Each change took the next value of the user's counter (cashman.stores.totals), so a client that
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
    null,
    select,
    true,
    union_all,
)
from werkzeug.exceptions import Gone

from ..database import request_connection
from ..i18n import _
from ..models import MAX_VERSION, DeletedTransaction, Transaction, User


@dataclass(frozen=True)
class Changes:
    """One page of the feed: rows in their latest state, tombstones, and where the page ends."""

    server_knowledge: int
    has_more: bool
    changed: list[Row]
    deleted: list[Row]


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
        return Changes(
            server_knowledge=entries[-1].version if has_more else rows[0].server_knowledge,
            has_more=has_more,
            changed=[row for row in entries if row.description is not None],
            deleted=[row for row in entries if row.description is None],
        )


def _feed():
    """The counter, and the next changes after it: rows and tombstones merged by version.

    A tombstone of an id that exists again (deleted, then created anew) is left out: the row
    is its latest state.
    """
    user, since, limit = bindparam("user_id"), bindparam("since"), bindparam("limit")
    changed = select(*Transaction.listed()).where(
        Transaction.user_id == user, Transaction.version > since
    )
    alive = exists().where(
        Transaction.user_id == user, Transaction.public_id == DeletedTransaction.public_id
    )
    # A tombstone has its id, type and version; the other columns are null.
    kept = {"public_id": DeletedTransaction.public_id}
    kept |= {"type": DeletedTransaction.type, "version": DeletedTransaction.version}
    deleted = select(
        *(
            kept.get(column.name, cast(null(), column.type).label(column.name))
            for column in changed.selected_columns
        )
    ).where(DeletedTransaction.user_id == user, DeletedTransaction.version > since, ~alive)
    # Each side is cut to a page by its (user_id, version) index first, then the two merge.
    pages = [
        select(side.order_by(side.selected_columns.version).limit(limit).subquery())
        for side in (changed, deleted)
    ]
    entries = union_all(*pages).order_by("version").limit(limit).subquery()
    return (
        select(User.server_knowledge, User.forgotten_through, entries)
        .outerjoin(entries, true())
        .where(User.id == user)
        .order_by(entries.c.version)
    )


_FEED = _feed()
