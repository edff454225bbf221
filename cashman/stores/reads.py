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
from ..models import Account, Kind, Transaction, TransactionTotal
from ..money import from_minor

# Newest date first; within a day, the most recently created first.
NEWEST_FIRST = (Transaction.date.desc(), Transaction.created_version.desc())
LIKE_ESCAPE = "/"
MONTH = (extract("year", Transaction.date), extract("month", Transaction.date))


def _sum(value: Any) -> Any:
    return func.coalesce(func.sum(value), 0)


def _split_sum(cents: Any) -> tuple[Any, Any]:
    """Sum incomes and expenses apart; the sign tells them apart (a CHECK constraint keeps it)."""
    return _sum(case((cents > 0, cents), else_=0)), _sum(case((cents < 0, cents), else_=0))


ROW_SUMS = (*_split_sum(Transaction.amount_minor), func.count())
# Incomes and expenses: what totals count (a transfer's legs only move money).
SPENDING = (Kind.INCOME, Kind.EXPENSE)
TOTALS_OF_ACCOUNTS = (
    select()
    .select_from(TransactionTotal)
    .join(
        Account,
        (Account.user_id == TransactionTotal.user_id)
        & (Account.public_id == TransactionTotal.account_id),
    )
    .where(TransactionTotal.user_id == bindparam("user_id"))
)
# The reads, by name. Each is narrowed to one user and completed with the filters a request uses.
READS: dict[str, Callable[[], Select]] = {
    "item": lambda: select(*Transaction.listed()).where(
        Transaction.public_id == bindparam("public_id")
    ),
    "page": lambda: select(*Transaction.listed()).order_by(*NEWEST_FIRST).limit(bindparam("limit")),
    "count": lambda: select(func.count()).select_from(Transaction),
    "sums": lambda: select(*ROW_SUMS).where(Transaction.type.in_(SPENDING)),
    "month": lambda: (
        select(*MONTH, *ROW_SUMS).where(Transaction.type.in_(SPENDING)).group_by(*MONTH)
    ),
    "category": lambda: (
        select(Transaction.category, *ROW_SUMS)
        .where(Transaction.type.in_(SPENDING))
        .group_by(Transaction.category)
    ),
    "category_currency": lambda: (
        select(Transaction.category, Transaction.currency, *ROW_SUMS)
        .where(Transaction.type.in_(SPENDING))
        .group_by(Transaction.category, Transaction.currency)
    ),
    # From the accounts' running totals: constant time whatever the rows.
    "running": lambda: TOTALS_OF_ACCOUNTS.add_columns(
        *_split_sum(TransactionTotal.amount_minor), _sum(TransactionTotal.count)
    ).where(TransactionTotal.type.in_(SPENDING)),
    "running_count": lambda: TOTALS_OF_ACCOUNTS.add_columns(_sum(TransactionTotal.count)),
}
# What each filter adds to the WHERE clause; its value is bound under the same name.
NARROWING = {
    "kind": lambda: Transaction.type == bindparam("kind"),
    "date_from": lambda: Transaction.date >= bindparam("date_from"),
    "date_to": lambda: Transaction.date <= bindparam("date_to"),
    "category": lambda: Transaction.category == bindparam("category"),
    "text": lambda: Transaction.search_text.contains(bindparam("text"), escape=LIKE_ESCAPE),
    "account_id": lambda: Transaction.account_id == bindparam("account_id"),
    "currency": lambda: Transaction.currency == bindparam("currency"),
    "after": lambda: (
        tuple_(Transaction.date, Transaction.created_version)
        < tuple_(
            bindparam("after_date", type_=Transaction.date.type),
            bindparam("after_created", type_=Transaction.created_version.type),
        )
    ),
}


# What a narrowing of the running totals adds (only these can narrow them: Filters.by_account).
TOTALS_NARROWING = {
    "kind": lambda: TransactionTotal.type == bindparam("kind"),
    "account_id": lambda: TransactionTotal.account_id == bindparam("account_id"),
    "currency": lambda: Account.currency == bindparam("currency"),
}


@cache
def statement(read: str, narrowed_by: tuple[str, ...]) -> Select:
    """The statement of a read with these filters, built once per process."""
    query = READS[read]()
    if read.startswith("running"):  # the running totals of the user's accounts
        return query.where(*(TOTALS_NARROWING[name]() for name in narrowed_by))
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
    """Sums of one currency kept in its minor units (expenses negative), shown as exact
    amounts."""

    currency: str
    income_minor: int
    expense_minor: int
    count: int
    key: str | None = None  # the month or category of a summary group

    @property
    def income(self) -> Decimal:
        return from_minor(self.income_minor, self.currency)

    @property
    def expenses(self) -> Decimal:
        return from_minor(self.expense_minor, self.currency)

    @property
    def balance(self) -> Decimal:
        return from_minor(self.income_minor + self.expense_minor, self.currency)
