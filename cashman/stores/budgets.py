"""Budgets: what a user plans to spend per category and month, and a month's plan against what
was spent (the month's expenses per category, summed by the database from one index)."""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from sqlalchemy import Insert, Row, bindparam, delete, func, literal, select, type_coerce, union_all
from sqlalchemy.dialects import postgresql, sqlite

from ..columns import Cents
from ..database import db, request_connection, write_connection
from ..models import Budget, Kind, Transaction
from ..money import from_cents, to_cents

THE_BUDGET = (
    Budget.user_id == bindparam("user_id"),
    Budget.month == bindparam("month"),
    Budget.category == bindparam("category"),
)
# A budget as answered: its amount exact, from the cents.
ANSWERED = (Budget.month, Budget.category, type_coerce(Budget.amount_cents, Cents).label("amount"))
ONE = select(*ANSWERED).where(*THE_BUDGET)
# One statement: the month's budgets, then its expenses per category (null: uncategorised).
MONTH = union_all(
    select(Budget.category, Budget.amount_cents, literal(0)).where(
        Budget.user_id == bindparam("user_id"), Budget.month == bindparam("month")
    ),
    select(Transaction.category, literal(0), func.sum(Transaction.amount_cents))
    .where(
        Transaction.user_id == bindparam("user_id"),
        Transaction.type == Kind.EXPENSE,
        Transaction.date >= bindparam("month"),
        Transaction.date <= bindparam("last_day"),
    )
    .group_by(Transaction.category),
)


@dataclass(frozen=True)
class Line:
    """A category's plan for the month (or the month's total), in cents; spent is <= 0."""

    category: str | None
    budgeted_cents: int = 0
    spent_cents: int = 0

    @property
    def budgeted(self) -> Decimal:
        return from_cents(self.budgeted_cents)

    @property
    def spent(self) -> Decimal:
        return from_cents(self.spent_cents)

    @property
    def available(self) -> Decimal:
        return from_cents(self.budgeted_cents + self.spent_cents)


@dataclass(frozen=True)
class MonthPlan:
    month: date
    categories: list[Line]
    total: Line


def last_day(month: date) -> date:
    """The month's last day (without a next month to count from: 9999-12 has none)."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


class BudgetStore:
    """One user's budgets."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    def get(self, month: date, category: str) -> Row | None:
        """The budget of this category and month (month, category, amount), if any."""
        return request_connection().execute(ONE, self._key(month, category)).first()

    def put(self, month: date, category: str, amount: Decimal) -> Row:
        """Set the budget of this category and month, replacing any it had."""
        connection = write_connection()
        values = self._key(month, category) | {"amount_cents": to_cents(amount)}
        budget = connection.execute(_budget_upsert(connection.dialect.name), values).one()
        db.session.commit()
        return budget

    def delete(self, month: date, category: str) -> bool:
        """Delete the budget of this category and month; False if there was none."""
        result = write_connection().execute(
            delete(Budget).where(*THE_BUDGET), self._key(month, category)
        )
        db.session.commit()
        return result.rowcount > 0

    def month(self, month: date) -> MonthPlan:
        """Every category with a budget or an expense in the month, by name, uncategorised last;
        and the month's total."""
        bound = {"user_id": self.user_id, "month": month, "last_day": last_day(month)}
        budgeted: dict[str | None, int] = {}
        spent: dict[str | None, int] = {}
        for category, budget_cents, spent_cents in request_connection().execute(MONTH, bound):
            budgeted[category] = budgeted.get(category, 0) + int(budget_cents)
            spent[category] = spent.get(category, 0) + int(spent_cents)
        lines = [
            Line(category, budgeted[category], spent[category])
            for category in sorted(budgeted, key=lambda name: (name is None, name or ""))
        ]
        total = Line(None, sum(budgeted.values()), sum(spent.values()))
        return MonthPlan(month, lines, total)

    def _key(self, month: date, category: str) -> dict:
        return {"user_id": self.user_id, "month": month, "category": category}


@cache
def _budget_upsert(dialect_name: str) -> Insert:
    """INSERT ... ON CONFLICT DO UPDATE that sets a budget, built once per engine."""
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(Budget)
    return insert.on_conflict_do_update(
        index_elements=["user_id", "month", "category"],
        set_={"amount_cents": insert.excluded.amount_cents},
    ).returning(*ANSWERED)
