"""Unbound extensions, initialised by the app factory."""

from pathlib import Path

from flask import has_request_context, request
from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Connection
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


# Rows stay readable after commit: a response is dumped from the row just written.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
jwt = JWTManager()
migrate = Migrate(directory=str(Path(__file__).parent / "migrations"))


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
