"""The ledger writer: every change to a user's rows goes through a `Ledger`, in the request's
database transaction, on either engine.

- **Versions.** Each change takes the user's next version. The first one counts a change on
  the user's row, whose lock orders the user's writers until the commit; a writer that must
  read under that lock first takes it with `lock()`. Later versions are counted here and the
  counter is set once, at `commit()`.
- **Running totals** (count and sum per account and kind) are added up here and written at
  `commit()`, one upsert per account and kind touched.
- **Tombstones**: a delete leaves one; `commit()` forgets those older than SYNC_RETENTION_DAYS.

A new kind of row or a new running total is a change to this module and its statements'.
Callers decide what to write (the HTTP rules, a batch's conflicts); a Ledger only writes.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, delete, update
from sqlalchemy.exc import NoResultFound

from ..database import db, write_connection
from ..errors import TokenRefused
from ..filters import fold
from ..i18n import _
from ..models import CONTENT, Kind, Transaction, new_public_id
from . import ledger_statements as sql


class AccountGone(TokenRefused):
    """The caller's account was deleted while the request ran: refused as any token of a
    deleted account is, and nothing of the request is written."""

    def __init__(self) -> None:
        super().__init__(_("The token's user no longer exists."))


def same_content(row: Row, kind: Kind, content: dict[str, Any]) -> bool:
    """Whether the row already is what `content` (every CONTENT field, the amount signed and
    in minor units) describes."""
    return row.type is kind and all(row._mapping[name] == content[name] for name in CONTENT)


class Ledger:
    """One user's changes to their rows, written in the request's database transaction."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self._stored: int | None = None  # the user's counter as written, once locked
        self._knowledge: int | None = None  # the last version handed out
        # The count and minor units to add, per account and kind.
        self._totals: dict[tuple[uuid.UUID, Kind], list[int]] = {}
        self._new_rows: list[dict[str, Any]] = []
        self.deleted = False  # a tombstone was left: the commit prunes old ones

    @property
    def knowledge(self) -> int:
        """The last version handed out (the counter as it will be committed)."""
        return self.lock()

    def lock(self) -> int:
        """Take the user's write lock without counting a change, and return the counter; a
        batch takes it before reading, so no other write of the user's slips in between."""
        if self._knowledge is None:
            self._stored = self._knowledge = self._counter(sql.HOLD_THE_COUNTER)
        return self._knowledge

    def find(self, public_ids: list[uuid.UUID]) -> dict[uuid.UUID, Row]:
        """The user's rows with these ids, by id (absent ids are left out)."""
        rows = write_connection().execute(
            sql.FIND_MANY, {"user_id": self.user_id, "public_ids": public_ids}
        )
        return {row.public_id: row for row in rows}

    def create(self, kind: Kind, content: dict[str, Any]) -> Row | None:
        """Insert one row now, under its `id` if the client named it, and return it; None if
        the user has the id already (the caller discards the ledger)."""
        connection = write_connection()
        if connection.dialect.name == "postgresql" and self._knowledge is None:
            # Counter, row and totals in one statement: the lock is held for one round trip.
            values = self._new_row(kind, content, version=0)  # the statement takes the version
            named = {f"new_{name}": value for name, value in values.items()}
            bound = {"user_id": self.user_id, **named}
            row = connection.execute(sql.create_at_next_version(), bound).first()
            if row is None:
                self._check_account()
            else:
                self._stored = self._knowledge = row.version
            return row
        values = self._new_row(kind, content, self.next_version())
        row = connection.execute(sql.insert_returning(connection.dialect.name), values).first()
        if row is not None:
            self._add_to_totals(values["account_id"], kind, 1, values["amount_minor"])
        return row

    def stage(self, kind: Kind, content: dict[str, Any]) -> int:
        """Queue a new row whose id the user does not have; queued rows go in one executemany
        (`write_staged`, or at the commit). Returns its version."""
        version = self.next_version()
        values = self._new_row(kind, content, version)
        self._new_rows.append(values)
        self._add_to_totals(values["account_id"], kind, 1, values["amount_minor"])
        return version

    def write_staged(self, returning: bool = False) -> list[Row]:
        """Insert the queued rows (returned, in order, when asked: RETURNING costs a batch
        the driver's fewest round trips)."""
        new_rows, self._new_rows = self._new_rows, []
        if not new_rows:
            return []
        if not returning:
            write_connection().execute(sql.INSERT, new_rows)
            return []
        return write_connection().execute(sql.INSERT_MANY, new_rows).all()

    def update(self, row: Row, changes: dict[str, Any]) -> Row | None:
        """Give the row these (real) changes of CONTENT fields under the next version (another
        account must be of the row's currency); None if it is no longer the version read."""
        values = dict(changes)
        if "description" in values:
            values["search_text"] = fold(values["description"])
        version = self.next_version()
        statement = (
            update(Transaction)
            .where(*_version_of(self.user_id, row))
            .values(**values, updated_at=datetime.now(UTC), version=version)
            .returning(*Transaction.listed())
        )
        written = write_connection().execute(statement).first()
        if written is not None and {"amount_minor", "account_id"} & values.keys():
            self._add_to_totals(row.account_id, row.type, -1, -row.amount_minor)
            self._add_to_totals(written.account_id, row.type, 1, written.amount_minor)
        return written

    def delete(self, row: Row) -> int | None:
        """Delete the row and leave its tombstone; the delete's version, or None if the row is
        no longer the version read."""
        version = self.next_version()
        connection = write_connection()
        result = connection.execute(delete(Transaction).where(*_version_of(self.user_id, row)))
        if result.rowcount == 0:
            return None
        self._add_to_totals(row.account_id, row.type, -1, -row.amount_minor)
        tombstone = {"public_id": row.public_id, "type": row.type, "version": version}
        connection.execute(
            sql.bury(connection.dialect.name),
            {"user_id": self.user_id, **tombstone, "deleted_at": datetime.now(UTC)},
        )
        self.deleted = True
        return version

    def recategorise(self, old: str, new: str) -> int:
        """Move every row of category `old` to `new`, each under its next version, oldest
        first; how many moved."""
        connection = write_connection()
        row_ids = connection.scalars(sql.TO_MOVE, {"user_id": self.user_id, "old": old}).all()
        if row_ids and new != old:
            now = datetime.now(UTC)
            moves = [
                {"row_id": row_id, "new": new, "new_version": self.next_version(), "now": now}
                for row_id in row_ids
            ]
            connection.execute(sql.MOVE_ONE, moves)
        return len(row_ids)

    def commit(self) -> None:
        """Write what is queued, the totals, the counter and the tombstones' pruning, then
        commit the request's transaction."""
        self.write_staged()
        self.write_totals()
        connection = write_connection()
        if self._knowledge != self._stored:
            bound = {"user_id": self.user_id, "knowledge": self._knowledge}
            connection.execute(sql.ADVANCE_THE_COUNTER, bound)
        if self.deleted:
            sql.forget_old_tombstones(connection, self.user_id)
        db.session.commit()

    def write_totals(self) -> None:
        """Add what is counted so far to the running totals (before an account is deleted:
        its totals go with it)."""
        connection = write_connection()
        for (account_id, kind), (count, minor) in self._totals.items():
            bound = {"user_id": self.user_id, "account_id": account_id, "type": kind}
            bound |= {"count": count, "amount_minor": minor}
            connection.execute(sql.totals_upsert(connection.dialect.name), bound)
        self._totals.clear()

    def discard(self) -> None:
        """Write nothing: roll the request's transaction back."""
        db.session.rollback()

    def next_version(self) -> int:
        """The next version, for a change about to be written (the first takes the lock)."""
        if self._knowledge is None:
            self._stored = self._knowledge = self._counter(sql.COUNT_A_CHANGE)
        else:
            self._knowledge += 1
        return self._knowledge

    def _counter(self, statement: Any) -> int:
        try:
            return write_connection().execute(statement, {"user_id": self.user_id}).scalar_one()
        except NoResultFound:
            db.session.rollback()
            raise AccountGone() from None

    def _check_account(self) -> None:
        """After an insert that wrote nothing: the account is gone, or the id is taken."""
        if write_connection().scalar(sql.ACCOUNT_EXISTS, {"user_id": self.user_id}) is None:
            db.session.rollback()
            raise AccountGone()

    def _add_to_totals(self, account_id: uuid.UUID, kind: Kind, count: int, minor: int) -> None:
        totals = self._totals.setdefault((account_id, kind), [0, 0])
        totals[0] += count
        totals[1] += minor

    def _new_row(self, kind: Kind, content: dict[str, Any], version: int) -> dict[str, Any]:
        """The column values of a new row (under its `id`, if the client named it)."""
        now = datetime.now(UTC)
        values = {name: content[name] for name in CONTENT}
        return values | {
            "public_id": content.get("id") or new_public_id(),
            "user_id": self.user_id,
            "type": kind,
            "currency": content["currency"],
            "transfer_id": content.get("transfer_id"),
            "search_text": fold(content["description"]),
            "created_at": now,
            "updated_at": now,
            "version": version,
            "created_version": version,
        }


def _version_of(user_id: int, row: Row) -> tuple:
    """The WHERE clause naming exactly this version of one of the user's rows."""
    return (
        Transaction.user_id == user_id,
        Transaction.public_id == row.public_id,
        Transaction.version == row.version,
    )
