"""Budgets: what a user plans to spend per category and month, and a month's plan against what
was spent (the month's expenses per category, summed by the database from one index)."""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from sqlalchemy import Insert, Row, bindparam, delete, func, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite

from ..database import db, request_connection, write_connection
from ..models import Budget, Kind, Transaction
from ..money import from_minor
from .pricing import minor_units

THE_BUDGET = (
    Budget.user_id == bindparam("user_id"),
    Budget.month == bindparam("month"),
    Budget.category == bindparam("category"),
    Budget.currency == bindparam("currency"),
)
ANSWERED = (Budget.month, Budget.category, Budget.currency, Budget.amount_minor)
ONE = select(*ANSWERED).where(*THE_BUDGET)
# One statement: the month's budgets in one currency, then its expenses in that currency per
# category (null: uncategorised).
MONTH = union_all(
    select(Budget.category, Budget.amount_minor, literal(0)).where(
        Budget.user_id == bindparam("user_id"),
        Budget.month == bindparam("month"),
        Budget.currency == bindparam("currency"),
    ),
    select(Transaction.category, literal(0), func.sum(Transaction.amount_minor))
    .where(
        Transaction.user_id == bindparam("user_id"),
        Transaction.type == Kind.EXPENSE,
        Transaction.date >= bindparam("month"),
        Transaction.date <= bindparam("last_day"),
        Transaction.currency == bindparam("currency"),
    )
    .group_by(Transaction.category),
)


@dataclass(frozen=True)
class Line:
    """A category's plan for the month (or the month's total), in minor units; spent is
    <= 0."""

    category: str | None
    currency: str
    budgeted_minor: int = 0
    spent_minor: int = 0

    @property
    def budgeted(self) -> Decimal:
        return from_minor(self.budgeted_minor, self.currency)

    @property
    def spent(self) -> Decimal:
        return from_minor(self.spent_minor, self.currency)

    @property
    def available(self) -> Decimal:
        return from_minor(self.budgeted_minor + self.spent_minor, self.currency)


@dataclass(frozen=True)
class MonthPlan:
    month: date
    currency: str
    categories: list[Line]
    total: Line


def last_day(month: date) -> date:
    """The month's last day (without a next month to count from: 9999-12 has none)."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


class BudgetStore:
    """One user's budgets."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    def get(self, month: date, category: str, currency: str) -> Row | None:
        """The budget of this category, month and currency (month, category, currency,
        amount_minor), if any."""
        return request_connection().execute(ONE, self._key(month, category, currency)).first()

    def put(self, month: date, category: str, currency: str, amount: Decimal) -> Row:
        """Set the budget of this category and month in this currency, replacing any it had
        (an amount with more decimals than the currency has is a 422 naming it)."""
        connection = write_connection()
        values = self._key(month, category, currency)
        values["amount_minor"] = minor_units(amount, currency)
        budget = connection.execute(_budget_upsert(connection.dialect.name), values).one()
        db.session.commit()
        return budget

    def delete(self, month: date, category: str, currency: str) -> bool:
        """Delete the budget of this category, month and currency; False if there was none."""
        result = write_connection().execute(
            delete(Budget).where(*THE_BUDGET), self._key(month, category, currency)
        )
        db.session.commit()
        return result.rowcount > 0

    def month(self, month: date, currency: str) -> MonthPlan:
        """Every category with a budget or an expense in the month and currency, by name,
        uncategorised last; and the month's total."""
        bound = {"user_id": self.user_id, "month": month, "last_day": last_day(month)}
        bound["currency"] = currency
        budgeted: dict[str | None, int] = {}
        spent: dict[str | None, int] = {}
        for category, budget_minor, spent_minor in request_connection().execute(MONTH, bound):
            budgeted[category] = budgeted.get(category, 0) + int(budget_minor)
            spent[category] = spent.get(category, 0) + int(spent_minor)
        lines = [
            Line(category, currency, budgeted[category], spent[category])
            for category in sorted(budgeted, key=lambda name: (name is None, name or ""))
        ]
        total = Line(None, currency, sum(budgeted.values()), sum(spent.values()))
        return MonthPlan(month, currency, lines, total)

    def _key(self, month: date, category: str, currency: str) -> dict:
        return {"user_id": self.user_id, "month": month, "category": category, "currency": currency}


@cache
def _budget_upsert(dialect_name: str) -> Insert:
    """INSERT ... ON CONFLICT DO UPDATE that sets a budget, built once per engine."""
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(Budget)
    return insert.on_conflict_do_update(
        index_elements=["user_id", "month", "category", "currency"],
        set_={"amount_minor": insert.excluded.amount_minor},
    ).returning(*ANSWERED)
