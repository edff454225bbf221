"""The per-user transaction store: the only code that reads or writes transactions.

Every query is bound to one user, so no route can forget the owner filter, and "absent",
"of the other kind" and "someone else's" are one and the same 404. Writes keep the user's
running totals in the same database transaction, so counts and balances never drift.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import (
    Insert,
    Result,
    Row,
    Select,
    bindparam,
    case,
    delete,
    extract,
    func,
    select,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Conflict, NotFound, UnprocessableEntity

from .extensions import db, request_connection
from .i18n import _
from .models import IdempotencyRecord, Kind, Transaction, TransactionTotal, unicode_lower
from .money import from_cents
from .tokens import current_user_id

NEWEST_FIRST = (Transaction.date.desc(), Transaction.id.desc())
EXPORT_BATCH = 1000
WRITE_ATTEMPTS = 3

Check = Callable[[Transaction], None]


def _accept(row: Transaction) -> None:
    """The default check: any version of the row may be changed."""


def _sum(value: Any) -> Any:
    return func.coalesce(func.sum(value), 0)


def _split_sum(cents: Any) -> tuple[Any, Any]:
    """Sum incomes and expenses apart; the sign tells them apart (a CHECK constraint keeps it)."""
    return _sum(case((cents > 0, cents), else_=0)), _sum(case((cents < 0, cents), else_=0))


ROW_SUMS = (*_split_sum(Transaction.amount_cents), func.count())
LIKE_ESCAPE = "/"
MONTH = (extract("year", Transaction.date), extract("month", Transaction.date))
# The reads, by name. Each is narrowed to one user and completed with the filters a request uses.
READS: dict[str, Callable[[], Select]] = {
    "page": lambda: select(*Transaction.listed()).order_by(*NEWEST_FIRST).limit(bindparam("limit")),
    "count": lambda: select(func.count()).select_from(Transaction),
    "sums": lambda: select(*ROW_SUMS),
    "month": lambda: select(*MONTH, *ROW_SUMS).group_by(*MONTH),
    "category": lambda: select(Transaction.category, *ROW_SUMS).group_by(Transaction.category),
    "running": lambda: select(
        *_split_sum(TransactionTotal.amount_cents), _sum(TransactionTotal.count)
    ).where(TransactionTotal.user_id == bindparam("user_id")),
}
# What each filter adds to the WHERE clause; its value is bound under the same name.
NARROWING = {
    "kind": lambda: Transaction.type == bindparam("kind"),
    "date_from": lambda: Transaction.date >= bindparam("date_from"),
    "date_to": lambda: Transaction.date <= bindparam("date_to"),
    "category": lambda: Transaction.category == bindparam("category"),
    "text": lambda: unicode_lower(Transaction.description).contains(
        bindparam("text"), escape=LIKE_ESCAPE
    ),
    "after": lambda: (
        tuple_(Transaction.date, Transaction.id)
        < tuple_(
            bindparam("after_date", type_=Transaction.date.type),
            bindparam("after_id", type_=Transaction.id.type),
        )
    ),
}


@cache
def _statement(read: str, narrowed_by: tuple[str, ...]) -> Select:
    """The statement of a read with these filters, built once per process.

    Values are bound at execution, so a request pays neither for building SQL expressions nor
    for SQLAlchemy's cache key of a new statement (both cost more than running the query).
    """
    query = READS[read]()
    if read == "running":  # a user's running totals, of one kind or of both
        return query.where(TransactionTotal.type == bindparam("kind")) if narrowed_by else query
    query = query.where(Transaction.user_id == bindparam("user_id"))
    return query.where(*(NARROWING[name]() for name in narrowed_by))


def _literal_like(text: str) -> str:
    """`text` for a LIKE pattern in which `%` and `_` match themselves."""
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return text


@dataclass(frozen=True)
class Filters:
    """What a list, an export, a balance or a summary is narrowed to (None: no narrowing)."""

    kind: Kind | None = None
    date_from: date | None = None
    date_to: date | None = None
    category: str | None = None
    text: str | None = None

    @property
    def only_kind(self) -> bool:
        """True when nothing but the kind narrows the rows, so running totals answer."""
        return (self.date_from, self.date_to, self.category, self.text) == (None,) * 4


@dataclass(frozen=True)
class Totals:
    """Sums kept in integer cents (expenses negative), shown as exact amounts."""

    income_cents: int
    expense_cents: int
    count: int
    key: str | None = None  # the month or category of a summary group

    @property
    def income(self) -> Decimal:
        return from_cents(self.income_cents)

    @property
    def expenses(self) -> Decimal:
        return from_cents(self.expense_cents)

    @property
    def balance(self) -> Decimal:
        return from_cents(self.income_cents + self.expense_cents)


@dataclass(frozen=True)
class Retry:
    """An `Idempotency-Key` and the fingerprint of the request that first used it."""

    key: str
    request_hash: str


class TransactionStore:
    """One user's incomes and expenses."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    # Reading

    def page(
        self, filters: Filters, limit: int, after: tuple[date, int] | None = None
    ) -> list[Row]:
        """Return up to `limit` rows newest first, starting after the (date, id) position.

        Plain rows of the listed columns, not ORM objects: nothing is tracked or hydrated.
        """
        return self._read("page", filters, after, limit=limit).all()

    def each(self, filters: Filters) -> Iterator[Row]:
        """Yield every matching row newest first, a batch at a time (memory stays flat)."""
        after = None
        while batch := self.page(filters, EXPORT_BATCH, after):
            yield from batch
            after = (batch[-1].date, batch[-1].id)

    def count(self, filters: Filters) -> int:
        """How many rows match; constant time when only the kind narrows them."""
        if filters.only_kind:
            return self.totals(filters).count
        return self._read("count", filters).scalar_one()

    def totals(self, filters: Filters) -> Totals:
        """Income, expenses and count of the matching rows, summed by the database in cents."""
        read = "running" if filters.only_kind else "sums"
        return Totals(*(int(value) for value in self._read(read, filters).one()))

    def summary(self, group: str, filters: Filters) -> list[Totals]:
        """Totals per month ("2026-11") or per category (None: uncategorised), ordered by key."""
        keys = len(MONTH) if group == "month" else 1
        groups = []
        for row in self._read(group, filters):
            key = f"{int(row[0]):04d}-{int(row[1]):02d}" if group == "month" else row[0]
            groups.append(Totals(*(int(value) for value in row[keys:]), key=key))
        # Sorted here, not by the database, so that every engine's collation gives one order.
        return sorted(groups, key=lambda group: (group.key is None, group.key or ""))

    def get(self, transaction_id: int, kind: Kind) -> Transaction:
        """Return one of the user's rows of this kind, or raise 404."""
        row = db.session.scalar(
            select(Transaction).where(
                Transaction.id == transaction_id,
                Transaction.user_id == self.user_id,
                Transaction.type == kind,
            )
        )
        if row is None:
            raise NotFound()
        return row

    def replay(self, retry: Retry) -> IdempotencyRecord | None:
        """Return the record of an earlier POST with this key, if it is still kept.

        Records older than IDEMPOTENCY_KEY_TTL are deleted first; a key reused for a different
        request is a 422.
        """
        cutoff = datetime.now(UTC) - current_app.config["IDEMPOTENCY_KEY_TTL"]
        db.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.user_id == self.user_id, IdempotencyRecord.created_at < cutoff
            )
        )
        record = db.session.get(IdempotencyRecord, (self.user_id, retry.key))
        if record is not None and record.request_hash != retry.request_hash:
            raise UnprocessableEntity(
                _("This Idempotency-Key was already used for a different request.")
            )
        return record

    # Writing

    def add(self, kind: Kind, fields: dict[str, Any]) -> Transaction:
        """Record a new transaction."""
        row = self._new_row(kind, fields)
        db.session.commit()
        return row

    def add_once(
        self,
        kind: Kind,
        fields: dict[str, Any],
        retry: Retry,
        render: Callable[[Transaction], Any],
    ) -> IdempotencyRecord:
        """Record a new transaction and, in the same commit, its key with the body `render` gives.

        Two concurrent requests with one key race on the key's primary key: the loser's row is
        rolled back and it gets the winner's record instead.
        """
        row = self._new_row(kind, fields)
        db.session.flush()
        record = IdempotencyRecord(
            user_id=self.user_id,
            key=retry.key,
            request_hash=retry.request_hash,
            transaction_id=row.id,
            etag=row.etag,
            response=current_app.json.dumps(render(row)),
            created_at=row.created_at,
        )
        db.session.add(record)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if (winner := self.replay(retry)) is None:
                raise
            return winner
        return record

    def update(
        self, transaction_id: int, kind: Kind, fields: dict[str, Any], check: Check = _accept
    ) -> Transaction:
        """Change the given fields of one of the user's rows, or raise 404.

        `check` sees the row first and may refuse it (an outdated If-Match). A change that races
        another one is retried on the fresh row, so `check` judges what is really overwritten.
        """

        def change(row: Transaction) -> None:
            before = row.amount_cents
            for name, value in fields.items():
                setattr(row, name, value)
            if row.amount_cents != before:
                self._add_to_totals(row.type, 0, row.amount_cents - before)

        return self._write_latest(transaction_id, kind, check, change)

    def delete(self, transaction_id: int, kind: Kind, check: Check = _accept) -> None:
        """Delete one of the user's rows, or raise 404; `check` as for `update`."""

        def remove(row: Transaction) -> None:
            db.session.delete(row)
            self._add_to_totals(row.type, -1, -row.amount_cents)

        self._write_latest(transaction_id, kind, check, remove)

    # Helpers

    def _write_latest(
        self, transaction_id: int, kind: Kind, check: Check, write: Callable[[Transaction], None]
    ) -> Transaction:
        """Read the row, check it, write it; if another request changed it meanwhile, again.

        Every UPDATE and DELETE names the version it read (the mapper's version_id_col), so a
        write based on a stale read fails with StaleDataError instead of overwriting.
        """
        for _attempt in range(WRITE_ATTEMPTS):
            row = self.get(transaction_id, kind)
            check(row)
            try:
                write(row)
                db.session.commit()
                return row
            except StaleDataError:
                db.session.rollback()
        raise Conflict(_("The transaction is being changed by other requests; try again."))

    def _read(
        self, read: str, filters: Filters, after: tuple[date, int] | None = None, **values: Any
    ) -> Result:
        """Run a prebuilt read for this user with the filters' values bound.

        On the request's connection (the one the token check used), without the ORM's
        per-statement work: reads return plain rows.
        """
        bound = {name: value for name, value in vars(filters).items() if value is not None}
        if "text" in bound:
            bound["text"] = _literal_like(bound["text"].lower())
        narrowed_by = tuple(bound)
        if after is not None:
            narrowed_by += ("after",)
            bound |= {"after_date": after[0], "after_id": after[1]}
        statement = _statement(read, narrowed_by)
        return request_connection().execute(statement, {"user_id": self.user_id, **bound, **values})

    def _new_row(self, kind: Kind, fields: dict[str, Any]) -> Transaction:
        now = datetime.now(UTC)
        row = Transaction(user_id=self.user_id, type=kind, created_at=now, updated_at=now, **fields)
        db.session.add(row)
        self._add_to_totals(kind, 1, row.amount_cents)
        return row

    def _add_to_totals(self, kind: Kind, count: int, cents: int) -> None:
        """Add to the user's running totals of one kind, creating them on first use."""
        connection = db.session.connection()
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            # A GET's connection autocommits (cashman.extensions.request_connection).
            raise RuntimeError("a write needs a transaction: GET requests must only read")
        connection.execute(
            _totals_upsert(connection.dialect.name),
            {"user_id": self.user_id, "type": kind, "count": count, "amount_cents": cents},
        )


@cache
def _totals_upsert(dialect_name: str) -> Insert:
    """INSERT ... ON CONFLICT DO UPDATE that adds to a running total, built once per engine."""
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(TransactionTotal)
    return insert.on_conflict_do_update(
        index_elements=["user_id", "type"],
        set_={
            "count": TransactionTotal.count + insert.excluded.count,
            "amount_cents": TransactionTotal.amount_cents + insert.excluded.amount_cents,
        },
    )


def current_store() -> TransactionStore:
    """The store of the user authenticated by this request's access token."""
    return TransactionStore(current_user_id())
