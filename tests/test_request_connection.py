"""On PostgreSQL a GET reads on an autocommitting connection; every other method gets a
transaction. (SQLite's driver begins a transaction only before a write.)"""

from datetime import date
from decimal import Decimal

import pytest
from helpers import assert_problem, internal_user_id
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.pool import NullPool

from cashman import database, postgres
from cashman.database import db, request_connection
from cashman.filters import Filters
from cashman.models import Kind, Transaction
from cashman.stores.transactions import TransactionStore

UNAVAILABLE = "The database is unavailable; try again shortly."


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
            store.ledger().create(Kind.INCOME, fields)
        db.session.rollback()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Transaction)) == 0


def test_a_pooled_connection_is_pinged_only_after_sitting_idle(
    app, alice, engine_name, monkeypatch
):
    if engine_name != "postgresql":
        pytest.skip("a SQLite file has no server to lose: no ping")
    client = app.test_client()
    with app.app_context():
        dialect = db.engine.dialect
    pings = []
    real_ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    for _ in range(3):  # back to back: each finds the connection the last one left
        assert client.get("/balance", headers=alice.headers).status_code == 200
    assert pings == []
    monkeypatch.setattr(postgres, "IDLE_PING_SECONDS", 0.0)
    assert client.get("/balance", headers=alice.headers).status_code == 200
    assert pings == [1]


def test_a_connection_that_died_while_idle_is_replaced_unseen(app, alice, engine_name, monkeypatch):
    if engine_name != "postgresql":
        pytest.skip("a SQLite file has no server to lose: no ping")
    client = app.test_client()
    assert client.get("/balance", headers=alice.headers).status_code == 200
    with app.app_context():
        pooled = {record.dbapi_connection.info.backend_pid for record in db.engine.pool._pool.queue}
        with create_engine(db.engine.url, poolclass=NullPool).connect() as killer:
            for pid in pooled:  # as a database restart or a proxy's idle timeout would
                killer.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
    monkeypatch.setattr(postgres, "IDLE_PING_SECONDS", 0.0)
    response = client.get("/balance", headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json()["count"] == 0


def test_a_forked_worker_forgets_the_pool_it_inherited_without_closing_it(app, alice):
    """gunicorn loads the app in its master and forks the workers (config/gunicorn.conf.py)."""
    assert app.test_client().get("/balance", headers=alice.headers).status_code == 200
    with app.app_context():
        inherited = [record.dbapi_connection for record in db.engine.pool._pool.queue]
    assert inherited
    database.forget_inherited_connections(app)
    with app.app_context():
        assert db.engine.pool.checkedin() == 0
    for connection in inherited:  # still open: in a real fork they are the master's
        connection.cursor().execute("SELECT 1")
        connection.close()


def test_a_create_on_postgresql_is_one_statement_after_the_token_check(app, alice, engine_name):
    """The counter, the row and the running totals are written by one statement (three CTEs):
    the user's write lock is held from it to the commit, not across three round trips."""
    if engine_name != "postgresql":
        pytest.skip("SQLite cannot write in a WITH clause: three statements there")
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    statements = []

    def note(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement.split(None, 1)[0])

    event.listen(engine, "before_cursor_execute", note)
    try:
        body = {"description": "Salary", "amount": "10.50", "date": "2026-01-02"}
        created = client.post("/incomes", json=body, headers=alice.headers)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert created.status_code == 201
    # The revocation read, the default account (its currency gives the amount its digits), then
    # the create.
    assert statements == ["SELECT", "SELECT", "WITH"]
    assert created.get_json()["version"] == 2  # version 1: the default account
    balance = client.get("/balance", headers=alice.headers).get_json()
    assert (balance["count"], Decimal(str(balance["income"]))) == (1, Decimal("10.50"))


@pytest.fixture
def ended_after(prod_app, engine_name):
    """`ended_after(text)`: PostgreSQL ends the connection of the next statement holding `text`
    as soon as it is answered (pg_terminate_backend, waiting until the backend is gone)."""
    if engine_name != "postgresql":
        pytest.skip("a SQLite file has no server to lose")
    with prod_app.app_context():
        engine = db.engine
    killer = create_engine(engine.url, poolclass=NullPool)
    armed = []

    def end_it(connection, cursor, statement, parameters, context, executemany):
        if armed and armed[0] in statement:
            armed.clear()
            pid = connection.connection.dbapi_connection.info.backend_pid
            with killer.connect() as other:
                other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)}, 5000)")

    event.listen(engine, "after_cursor_execute", end_it)
    yield armed.append
    event.remove(engine, "after_cursor_execute", end_it)
    killer.dispose()


@pytest.mark.parametrize(
    ("statement", "method", "path", "body"),
    [
        ("SELECT 1", "GET", "/health/ready", None),  # its answer was a 200
        ("FROM logins", "POST", "/incomes", b'{"amount": "x"}'),  # a 422, after the token check
        ("FROM logins", "POST", "/incomes", b"{"),  # a 400
    ],
)
def test_a_connection_ended_after_the_last_statement_is_a_503_not_an_escaped_error(
    prod_client, make_account, ended_after, statement, method, path, body
):
    """The request's transaction ends before its answer is sent, where the error handlers
    still answer (Flask-SQLAlchemy's teardown ROLLBACK failed outside all of them)."""
    account = make_account(prod_client, "alice")
    ended_after(statement)
    headers = {**account.headers, "Content-Type": "application/json"}
    response = prod_client.open(path, method=method, data=body, headers=headers)
    assert_problem(response, 503, "Service Unavailable", UNAVAILABLE)
    assert response.headers["Retry-After"] == "5"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert prod_client.get("/balance", headers=account.headers).get_json()["count"] == 0
