"""The per-user transaction store: the only code that reads or writes transactions.

Every query is bound to one user, so no route can forget the owner filter, and "absent",
"of the other kind" and "someone else's" are one and the same 404.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from werkzeug.exceptions import NotFound

from .extensions import db
from .models import Kind, Transaction
from .tokens import current_user_id


class TransactionStore:
    """One user's incomes and expenses."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    def list(self, kind: Kind | None = None) -> list[Transaction]:
        """Return the user's rows, newest date first, ties by higher id first."""
        query = select(Transaction).where(Transaction.user_id == self.user_id)
        if kind is not None:
            query = query.where(Transaction.type == kind)
        query = query.order_by(Transaction.date.desc(), Transaction.id.desc())
        return list(db.session.scalars(query))

    def get(self, transaction_id: int, kind: Kind) -> Transaction:
        """Return one of the user's rows of this kind, or raise 404."""
        row = db.session.scalar(
            select(Transaction).where(
                Transaction.id == transaction_id,
                Transaction.user_id == self.user_id,
                Transaction.type == kind,
            )
        )
        if row is None:
            raise NotFound()
        return row

    def add(self, kind: Kind, fields: dict[str, Any]) -> Transaction:
        """Record a new transaction."""
        now = datetime.now(UTC)
        row = Transaction(user_id=self.user_id, type=kind, created_at=now, updated_at=now, **fields)
        db.session.add(row)
        db.session.commit()
        return row

    def update(self, transaction_id: int, kind: Kind, fields: dict[str, Any]) -> Transaction:
        """Change the given fields of one of the user's rows, or raise 404."""
        row = self.get(transaction_id, kind)
        for name, value in fields.items():
            setattr(row, name, value)
        db.session.commit()
        return row

    def delete(self, transaction_id: int, kind: Kind) -> None:
        """Delete one of the user's rows, or raise 404."""
        db.session.delete(self.get(transaction_id, kind))
        db.session.commit()


def current_store() -> TransactionStore:
    """The store of the user authenticated by this request's access token."""
    return TransactionStore(current_user_id())
