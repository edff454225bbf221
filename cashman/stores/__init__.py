"""Stores: the only code that queries the database, one module per table family.

Transactions and logins are bound to one user, so no caller can forget the owner filter;
accounts are found by name before anyone is known.
"""

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..database import db


def database_answers() -> bool:
    """Whether the database runs a trivial query (readiness)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True
