"""Users: found by name whatever its case and created (before anyone is known), and the
caller's own user, read and deleted."""

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ..database import db
from ..models import AccountKind, User
from . import account_writes as writes
from .ledger import Ledger


def find_user(username: str) -> User | None:
    """Return the user with this name, whatever its case (served by a unique index)."""
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def add_user(username: str, password_hash: str, currency: str | None = None) -> User | None:
    """Create a user with their default account ("Main", checking, in `currency`, else
    DEFAULT_CURRENCY: their first change); None when the name is taken (in any case)."""
    user = User(username=username, password_hash=password_hash)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    currency = currency or current_app.config["DEFAULT_CURRENCY"]
    main = {"name": "Main", "kind": AccountKind.checking, "currency": currency}
    ledger = Ledger(user.id)
    writes.open_account(
        ledger, {**main, "opening_balance_minor": 0, "archived": False}, is_default=True
    )
    ledger.commit()
    return user


def replace_password_hash(user: User, password_hash: str) -> None:
    """Store a new hash of the same password (made at the configured cost)."""
    user.password_hash = password_hash
    db.session.commit()


class UserStore:
    """The caller's own account."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    def get(self) -> User | None:
        """Return the account, if it still exists."""
        return db.session.get(User, self.user_id)

    def delete(self) -> None:
        """Delete the account; its logins and transactions go with it (ON DELETE CASCADE)."""
        db.session.execute(delete(User).where(User.id == self.user_id))
        db.session.commit()
