"""On PostgreSQL a GET reads on an autocommitting connection; every other method gets a
transaction. (SQLite's driver begins a transaction only before a write.)"""

from datetime import date
from decimal import Decimal

import pytest
from helpers import internal_user_id
from sqlalchemy import func, select

from cashman.database import db, request_connection
from cashman.filters import Filters
from cashman.models import Kind, Transaction
from cashman.stores.transactions import TransactionStore


@pytest.fixture
def engine_name(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


def isolation(method: str, app) -> str | None:
    with app.test_request_context("/incomes", method=method):
        return request_connection().get_execution_options().get("isolation_level")


def test_a_get_runs_without_a_transaction_and_every_other_method_gets_one(app, engine_name):
    assert isolation("GET", app) == ("AUTOCOMMIT" if engine_name == "postgresql" else None)
    for method in ("POST", "PATCH", "DELETE"):
        assert isolation(method, app) is None  # the engine's transactional default


def test_a_write_inside_a_get_is_refused_instead_of_committed_piecemeal(app, alice, engine_name):
    if engine_name != "postgresql":
        pytest.skip("only PostgreSQL GETs autocommit")
    user_id = internal_user_id(app, alice)
    with app.test_request_context("/incomes", method="GET"):
        store = TransactionStore(user_id)
        assert store.page(Filters(), 1) == []  # the first statement opens the connection
        fields = {"description": "never", "amount": Decimal("1.00"), "category": None}
        fields["date"] = date(2026, 1, 1)
        with pytest.raises(RuntimeError, match="GET requests must only read"):
            store.add(Kind.INCOME, fields, render=dict)
        db.session.rollback()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Transaction)) == 0
