"""Where the money goes, planned: categories (listed, renamed) and budgets per category and
month, checked against the month's expenses."""

from datetime import date

from flask import Response
from marshmallow import ValidationError
from werkzeug.exceptions import NotFound

from ..openapi.operation import documented
from ..schemas.bodies import load_body
from ..schemas.planning import (
    budget_body_schema,
    budget_schema,
    categories_schema,
    category_name_schema,
    category_schema,
    month_budget_schema,
)
from ..schemas.queries import in_currency_query_schema, load_query
from ..stores.accounts import AccountStore
from ..stores.budgets import BudgetStore
from ..stores.categories import CategoryStore
from . import Resource, caller_store


class Categories(Resource):
    """The caller's categories: those of their transactions and budgets."""

    @documented(returns=categories_schema, query=in_currency_query_schema, tag="budgets")
    def get(self):
        """List every category with its count, income and expenses, sorted by name."""
        return categories_schema.dump(caller_store(CategoryStore).all(query_currency())), 200


class Category(Resource):
    """One of the caller's categories, by its URL-encoded name."""

    @documented(
        returns=category_schema,
        body=category_name_schema,
        query=in_currency_query_schema,
        tag="budgets",
    )
    def patch(self, name: str):
        """Rename a category: its transactions and budgets move to the new name.

        If the new name is in use the two merge (budgets of one month add up). Each moved
        transaction gets a new `version`, so offline clients learn of it through /sync.
        """
        new_name = load_body(category_name_schema)["name"]
        store = caller_store(CategoryStore)
        renamed = store.rename(_category_in(name), new_name, query_currency())
        return category_schema.dump(renamed), 200


class Budget(Resource):
    """The caller's budget for one category (URL-encoded) in one month (YYYY-MM)."""

    @documented(returns=budget_schema, query=in_currency_query_schema, tag="budgets")
    def get(self, month: date, category: str):
        """Return the budget."""
        budget = caller_store(BudgetStore).get(month, _category_in(category), query_currency())
        if budget is None:
            raise NotFound()
        return budget_schema.dump(budget), 200

    @documented(
        returns=budget_schema,
        body=budget_body_schema,
        query=in_currency_query_schema,
        tag="budgets",
    )
    def put(self, month: date, category: str):
        """Set the budget, replacing any it had; the category need not be in use yet."""
        amount = load_body(budget_body_schema)["amount"]
        category = _category_in(category, new=True)
        budget = caller_store(BudgetStore).put(month, category, query_currency(), amount)
        return budget_schema.dump(budget), 200

    @documented(status=204, query=in_currency_query_schema, tag="budgets")
    def delete(self, month: date, category: str):
        """Delete the budget."""
        if not caller_store(BudgetStore).delete(month, _category_in(category), query_currency()):
            raise NotFound()
        return Response(status=204)


class MonthBudget(Resource):
    """The caller's budgets for a month (YYYY-MM) against what they spent in it."""

    @documented(returns=month_budget_schema, query=in_currency_query_schema, tag="budgets")
    def get(self, month: date):
        """Every category with a budget or an expense that month: budgeted, spent, available.

        `spent` sums the month's expenses (incomes do not count); `available = budgeted +
        spent`; no rollover between months. Uncategorised expenses come last, as null.
        """
        plan = caller_store(BudgetStore).month(month, query_currency())
        return month_budget_schema.dump(plan), 200


def query_currency() -> str:
    """The currency `?currency=` names, or else the default account's."""
    currency = load_query(in_currency_query_schema).get("currency")
    return currency or caller_store(AccountStore).default().currency


def _category_in(path_part: str, *, new: bool = False) -> str:
    """A category from the path, trimmed as transactions store it. One no category can have is
    a 404, like any absent one; for a new budget, a 422 naming `category`."""
    try:
        return category_name_schema.load({"name": path_part})["name"]
    except ValidationError as error:
        if new:
            raise ValidationError({"category": error.messages["name"]}) from None
        raise NotFound() from None
