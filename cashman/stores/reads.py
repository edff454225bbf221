"""The transaction reads, each built once per process and narrowed per request by binding.

Values are bound at execution, so a request pays neither for building SQL expressions nor for
SQLAlchemy's cache key of a new statement (both cost more than running the query).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, case, extract, func, select, tuple_

from ..filters import Filters, fold
from ..models import Transaction, TransactionTotal
from ..money import from_cents

# Newest date first; within a day, the most recently created first.
NEWEST_FIRST = (Transaction.date.desc(), Transaction.created_version.desc())
LIKE_ESCAPE = "/"
MONTH = (extract("year", Transaction.date), extract("month", Transaction.date))


def _sum(value: Any) -> Any:
    return func.coalesce(func.sum(value), 0)


def _split_sum(cents: Any) -> tuple[Any, Any]:
    """Sum incomes and expenses apart; the sign tells them apart (a CHECK constraint keeps it)."""
    return _sum(case((cents > 0, cents), else_=0)), _sum(case((cents < 0, cents), else_=0))


ROW_SUMS = (*_split_sum(Transaction.amount_cents), func.count())
# The reads, by name. Each is narrowed to one user and completed with the filters a request uses.
READS: dict[str, Callable[[], Select]] = {
    "item": lambda: select(*Transaction.listed()).where(
        Transaction.public_id == bindparam("public_id")
    ),
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
    "text": lambda: Transaction.search_text.contains(bindparam("text"), escape=LIKE_ESCAPE),
    "after": lambda: (
        tuple_(Transaction.date, Transaction.created_version)
        < tuple_(
            bindparam("after_date", type_=Transaction.date.type),
            bindparam("after_created", type_=Transaction.created_version.type),
        )
    ),
}


@cache
def statement(read: str, narrowed_by: tuple[str, ...]) -> Select:
    """The statement of a read with these filters, built once per process."""
    query = READS[read]()
    if read == "running":  # a user's running totals, of one kind or of both
        return query.where(TransactionTotal.type == bindparam("kind")) if narrowed_by else query
    query = query.where(Transaction.user_id == bindparam("user_id"))
    return query.where(*(NARROWING[name]() for name in narrowed_by))


def bound_values(
    filters: Filters, after: tuple[date, int] | None = None
) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The narrowings a read needs, and their values by the names they bind.

    `after` is a keyset position: (date, created_version) of the last row already shown.
    """
    bound = {name: value for name, value in vars(filters).items() if value is not None}
    if "text" in bound:
        bound["text"] = _literal_like(fold(bound["text"]))
    narrowed_by = tuple(bound)
    if after is not None:
        narrowed_by += ("after",)
        bound |= {"after_date": after[0], "after_created": after[1]}
    return narrowed_by, bound


def _literal_like(text: str) -> str:
    """`text` for a LIKE pattern in which `%` and `_` match themselves."""
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return text


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
