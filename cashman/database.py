"""The database: the SQLAlchemy and Alembic extensions, and how requests use connections.

Only stores (cashman.stores), models, migrations and the error handlers import this module.
"""

import sqlite3
import time
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask, has_request_context, request
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from psycopg.errors import _WaitTimeout
from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase

# A pooled PostgreSQL connection unused for this long is pinged before a request gets it.
IDLE_PING_SECONDS = 1.0


class Base(DeclarativeBase):
    pass


# Rows stay readable after commit: a response is dumped from the row just written.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(directory=str(Path(__file__).parent / "migrations"))


def init_database(app: Flask) -> None:
    """Bind the extensions; on SQLite, tune every new connection; on PostgreSQL, bound every
    wait for an answer."""
    db.init_app(app)
    migrate.init_app(app, db)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            busy_timeout = app.config["SQLITE_BUSY_TIMEOUT_MS"]
            event.listen(db.engine, "connect", lambda conn, _: _tune_sqlite(conn, busy_timeout))
        elif db.engine.dialect.name == "postgresql":
            # A second past statement_timeout: a slow statement is still ended by the server,
            # which keeps its connection; only an answer that never comes closes one.
            seconds = app.config["DATABASE_STATEMENT_TIMEOUT"] + 1
            event.listen(
                db.engine,
                "do_connect",
                lambda _dialect, _record, cargs, cparams: AnswerBoundConnection.open(
                    seconds, *cargs, **cparams
                ),
            )
            _ping_when_idle(db.engine)


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before a request gets it, if it sat unused for
    IDLE_PING_SECONDS: one that died meanwhile (a database restart, a proxy's idle timeout) is
    then replaced, unseen by the request.

    The pool's own `pool_pre_ping` pings at every checkout: a round trip per request, about one
    in six of a create's. A connection busy within the last second was alive then; if the server
    dies while it is in use, the request answers 503 and SQLAlchemy renews the whole pool.
    """

    @event.listens_for(engine, "checkin")
    def _note_the_time(dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checked_in = record.info.get("checked_in")
        if checked_in is None or time.monotonic() - checked_in < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except psycopg.Error as error:
            raise DisconnectionError() from error  # the pool opens another one in its place


class AnswerBoundConnection(psycopg.Connection):
    """A psycopg connection that waits at most `answer_timeout` seconds for any answer.

    PostgreSQL's statement_timeout ends a slow statement, and TCP keepalives and tcp_user_timeout
    end a connection whose packets go unacknowledged. Neither ends a wait on a path that still
    acknowledges packets but brings no answer back (a hung proxy or pooler, a stopped server):
    this does, for statements, commits and the pool's pings alike. The connection is then
    closed, since it stopped halfway through a conversation, and the pool replaces it.
    It overrides psycopg's `Connection.wait` and catches its `_WaitTimeout` (psycopg 3.3.9,
    pinned); a wait given its own timeout (psycopg's `notifies`) keeps psycopg's behaviour.
    """

    answer_timeout: float = 5.0

    @classmethod
    def open(cls, answer_timeout: float, *args: Any, **kwargs: Any) -> "AnswerBoundConnection":
        connection = cls.connect(*args, **kwargs)
        connection.answer_timeout = answer_timeout
        return connection

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if timeout is not None:
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, self.answer_timeout)
        except _WaitTimeout:
            self.close()
            raise psycopg.OperationalError(
                f"PostgreSQL did not answer within {self.answer_timeout:g} s; connection closed"
            ) from None


def forget_inherited_connections(app: Flask) -> None:
    """In a process forked from the one that built `app`: drop the pools' connections without
    closing them, since they are the parent's (SQLAlchemy's advice for forked processes)."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


def request_connection() -> Connection:
    """The connection the current request's statements run on, opened by its first statement.

    On PostgreSQL a GET only reads, so its connection autocommits: the database is spared a BEGIN
    and a ROLLBACK per request (two round trips), and each statement still sees what was
    committed before it began, as it would inside a READ COMMITTED transaction. SQLite's driver
    begins a transaction only before a write, so there a GET has none to spare (and switching
    the connection's mode would cost more than it saves). Other methods get a transaction, which
    the store commits.
    """
    session = db.session()
    if (
        has_request_context()
        and request.method == "GET"
        and not session.in_transaction()
        and session.get_bind().dialect.name == "postgresql"
    ):
        return session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return session.connection()


def write_connection() -> Connection:
    """The request's connection for a write; refuses an autocommitting (GET) one."""
    connection = db.session.connection()
    if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        raise RuntimeError("a write needs a transaction: GET requests must only read")
    return connection


def _tune_sqlite(connection: sqlite3.Connection, busy_timeout_ms: int) -> None:
    """WAL for concurrent readers, enforced foreign keys (cascades), and waiting on locks."""
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
