"""Where the money goes: the balance and summaries by month or category."""

from ..openapi.operation import documented
from ..schemas.queries import balance_query_schema, load_query, summary_query_schema
from ..schemas.responses import summary_schema, totals_schema
from ..stores.transactions import TransactionStore
from . import Resource, caller_store


class Balance(Resource):
    """The caller's income, expenses and balance, summed exactly by the database."""

    @documented(returns=totals_schema, query=balance_query_schema, tag="insights")
    def get(self):
        """Return the totals of the rows in `from`..`to` and `category` (all rows by default)."""
        filters = load_query(balance_query_schema)["filters"]
        return totals_schema.dump(caller_store(TransactionStore).totals(filters)), 200


class Summary(Resource):
    """The caller's totals per month or per category."""

    @documented(returns=summary_schema, query=summary_query_schema, tag="insights")
    def get(self):
        """Return one totals object per `group` key (month or category), ordered by key."""
        query = load_query(summary_query_schema)
        return summary_schema.dump(
            caller_store(TransactionStore).summary(query["group"], query["filters"])
        ), 200
