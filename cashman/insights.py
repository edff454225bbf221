"""Where the money goes: the balance and summaries by month or category."""

from flask_restful import Resource

from .limits import PROTECTED
from .openapi import documented
from .schemas import (
    balance_query_schema,
    load_query,
    summary_query_schema,
    summary_schema,
    totals_schema,
)
from .store import current_store


class Balance(Resource):
    """The caller's income, expenses and balance, summed exactly by the database."""

    method_decorators = PROTECTED

    @documented(returns=totals_schema, query=balance_query_schema, tag="insights")
    def get(self):
        """Return the totals of the rows in `from`..`to` and `category` (all rows by default)."""
        filters = load_query(balance_query_schema)["filters"]
        return totals_schema.dump(current_store().totals(filters)), 200


class Summary(Resource):
    """The caller's totals per month or per category."""

    method_decorators = PROTECTED

    @documented(returns=summary_schema, query=summary_query_schema, tag="insights")
    def get(self):
        """Return one totals object per `group` key (month or category), ordered by key."""
        query = load_query(summary_query_schema)
        return summary_schema.dump(current_store().summary(query["group"], query["filters"])), 200
