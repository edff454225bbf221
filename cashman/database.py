"""The database: the SQLAlchemy and Alembic extensions, and how requests use connections.

Only stores (cashman.stores), models, migrations and the error handlers import this module.
What only PostgreSQL needs is in cashman.postgres, and Alembic only serves `flask db`: a server
on SQLite loads neither psycopg nor Alembic (about 20 MB per process tree).
"""

import sqlite3
from pathlib import Path

from flask import Flask, Response, after_this_request, current_app, has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Connection, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase

MIGRATIONS = str(Path(__file__).parent / "migrations")


class Base(DeclarativeBase):
    pass


# Rows stay readable after commit: a response is dumped from the row just written.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def init_database(app: Flask) -> None:
    """Bind SQLAlchemy; on SQLite, tune every new connection; on PostgreSQL, bound every wait
    for an answer and ping idle connections (cashman.postgres)."""
    db.init_app(app)
    app.before_request(_release_the_connection_before_answering)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            busy_timeout = app.config["SQLITE_BUSY_TIMEOUT_MS"]
            event.listen(db.engine, "connect", lambda conn, _: _tune_sqlite(conn, busy_timeout))
        elif db.engine.dialect.name == "postgresql":
            from .postgres import bound_and_pinged  # noqa: PLC0415 (psycopg: PostgreSQL only)

            # A second past statement_timeout: a slow statement is still ended by the server,
            # which keeps its connection; only an answer that never comes closes one.
            bound_and_pinged(db.engine, app.config["DATABASE_STATEMENT_TIMEOUT"] + 1)


def register_migrations(app: Flask) -> None:
    """Flask-Migrate on the app, for `flask db` (cashman.cli) and the tests' migrations. It and
    Alembic are imported here, when needed, never by a server."""
    from flask_migrate import Migrate  # noqa: PLC0415

    if "migrate" not in app.extensions:
        Migrate(app, db, directory=MIGRATIONS)


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


def _release_the_connection_before_answering() -> None:
    """End the request's transaction before its answer is finalised, not in the teardown.

    Flask-SQLAlchemy closes the session when the app context ends, after the answer left
    Flask: a ROLLBACK that fails there (PostgreSQL dropped the connection after the request's
    last statement) escapes every error handler, and gunicorn answers its own HTML 500.
    Flask runs `after_this_request` functions before every `after_request` hook, so a failure
    here is still answered by the app's handler (cashman.errors: a 503), with every header.
    """
    after_this_request(_release_connection)


def _release_connection(response: Response) -> Response:
    """Give the request's connection back; a database that dropped it gets the app's answer
    for that error instead. An uncommitted transaction is all a failed ROLLBACK leaves, and
    the database ends that itself: nothing written is lost, and a retry is safe."""
    try:
        db.session.close()
    except DBAPIError as error:
        return current_app.make_response(current_app.handle_user_exception(error))
    return response


def _tune_sqlite(connection: sqlite3.Connection, busy_timeout_ms: int) -> None:
    """WAL for concurrent readers, enforced foreign keys (cascades), and waiting on locks."""
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
