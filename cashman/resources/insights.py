"""Where the money goes: the balance and summaries by month or category, each in one currency
(by default the default account's): amounts of two currencies are never added up."""

from dataclasses import replace

from ..filters import Filters
from ..openapi.operation import documented
from ..schemas.queries import balance_query_schema, load_query, summary_query_schema
from ..schemas.responses import summary_schema, totals_schema
from ..stores.accounts import AccountStore
from ..stores.transactions import TransactionStore
from . import Resource, caller_store


class Balance(Resource):
    """The caller's income, expenses and balance, summed exactly by the database."""

    @documented(returns=totals_schema, query=balance_query_schema, tag="insights")
    def get(self):
        """Return the totals of the incomes and expenses in one currency, narrowed by `from`,
        `to`, `category` and `account_id` (all of that currency by default)."""
        filters = in_one_currency(load_query(balance_query_schema)["filters"])
        return totals_schema.dump(caller_store(TransactionStore).totals(filters)), 200


class Summary(Resource):
    """The caller's totals per month or per category."""

    @documented(returns=summary_schema, query=summary_query_schema, tag="insights")
    def get(self):
        """Return one totals object per `group` key (month or category), ordered by key."""
        query = load_query(summary_query_schema)
        filters = in_one_currency(query["filters"])
        return summary_schema.dump(caller_store(TransactionStore).summary(query["group"], filters))


def in_one_currency(filters: Filters) -> Filters:
    """The filters in the currency they name, or else the account's they name, or else the
    default account's."""
    if filters.currency is not None:
        return filters
    accounts = caller_store(AccountStore)
    named = None if filters.account_id is None else accounts.named(filters.account_id)
    return replace(filters, currency=(named or accounts.default()).currency)
