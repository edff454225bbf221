"""Categories: the names on a user's transactions and budgets, with their totals, and renaming
one (which moves its transactions, each under a new version, and merges its budgets)."""

from functools import cache

from sqlalchemy import Insert, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.exceptions import NotFound

from ..database import request_connection, write_connection
from ..filters import Filters
from ..models import Budget
from .ledger import Ledger
from .reads import Totals, bound_values, statement

BUDGETED = select(Budget.category).where(Budget.user_id == bindparam("user_id")).distinct()
BUDGETS_OF = (Budget.user_id == bindparam("user_id"), Budget.category == bindparam("old"))


class CategoryStore:
    """One user's categories."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    def all(self, currency: str) -> list[Totals]:
        """Every category of the user's transactions or budgets with its totals in one
        currency, sorted by name (here, so that every engine's collation gives one order)."""
        found = {totals.key: totals for totals in self._totals(currency)}
        for name in request_connection().scalars(BUDGETED, {"user_id": self.user_id}):
            found.setdefault(name, Totals(currency, 0, 0, 0, key=name))
        return sorted(found.values(), key=lambda totals: totals.key)

    def rename(self, old: str, new: str, currency: str) -> Totals:
        """Move every transaction and budget of `old` to `new` (merging with `new` if it is in
        use: budgets of one month add up) and return `new`'s totals; 404 if `old` is unused.

        Each moved transaction gets the next version, so offline clients learn of it through
        /sync; the user's write lock is taken first, so no write slips in between.
        """
        ledger = Ledger(self.user_id)
        ledger.lock()
        moved = ledger.recategorise(old, new)
        budgets = write_connection().scalar(
            select(Budget.month).where(*BUDGETS_OF).limit(1), {"user_id": self.user_id, "old": old}
        )
        if not moved and budgets is None:
            ledger.discard()
            raise NotFound()
        if new != old:
            self._merge_budgets(old, new)
        ledger.commit()
        return self._one(new, currency)

    def _merge_budgets(self, old: str, new: str) -> None:
        connection = write_connection()
        values = {"user_id": self.user_id, "old": old, "new": new}
        connection.execute(_budgets_merge(connection.dialect.name), values)
        connection.execute(delete(Budget).where(*BUDGETS_OF), values)

    def _totals(self, currency: str, name: str | None = None) -> list[Totals]:
        """Every category's totals in one currency; categories in use only in another
        currency count none."""
        narrowed_by, bound = bound_values(Filters(category=name))
        bound = {"user_id": self.user_id, **bound}
        found = {}
        for row in request_connection().execute(statement("category_currency", narrowed_by), bound):
            if row.category is None:
                continue
            sums = [int(row[2]), int(row[3]), int(row[4])] if row.currency == currency else [0] * 3
            if row.category not in found or row.currency == currency:
                found[row.category] = Totals(currency, *sums, key=row.category)
        return list(found.values())

    def _one(self, name: str, currency: str) -> Totals:
        return next(iter(self._totals(currency, name)), Totals(currency, 0, 0, 0, key=name))


@cache
def _budgets_merge(dialect_name: str) -> Insert:
    """INSERT ... SELECT the old name's budgets under the new one, adding to a budget the new
    name already has that month; built once per engine."""
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(Budget)
    old_budgets = select(
        Budget.user_id,
        Budget.month,
        bindparam("new", type_=Budget.category.type),
        Budget.currency,
        Budget.amount_minor,
    ).where(*BUDGETS_OF)
    columns = ["user_id", "month", "category", "currency", "amount_minor"]
    merge = insert.from_select(columns, old_budgets)
    return merge.on_conflict_do_update(
        index_elements=["user_id", "month", "category", "currency"],
        set_={"amount_minor": Budget.amount_minor + merge.excluded.amount_minor},
    )
