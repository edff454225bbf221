"""Database tables: users, their logins (token sessions) and their transactions."""

import enum
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    TypeDecorator,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .money import from_cents, to_cents

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every engine (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Kind(enum.Enum):
    INCOME = "INCOME"
    EXPENSE = "EXPENSE"


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @classmethod
    def find(cls, username: str) -> "User | None":
        """Return the user with this name, whatever its case (served by the index below)."""
        return db.session.scalar(select(cls).where(func.lower(cls.username) == username.lower()))


# Usernames are unique whatever their case ("Alice" and "alice" are one account).
Index("uq_users_username_lower", func.lower(User.username), unique=True)


class LoginSession(db.Model):
    """One login: its access and refresh tokens carry its id as the `sid` claim.

    Logging out stamps `revoked_at`, which refuses every token of this login and no other.
    Deleting the user deletes its logins, so its tokens stop working too.
    """

    __tablename__ = "logins"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Transaction(db.Model):
    __tablename__ = "transactions"
    __table_args__ = (
        CheckConstraint(
            "(type = 'INCOME' AND amount_cents > 0) OR (type = 'EXPENSE' AND amount_cents < 0)",
            name="ck_transactions_amount_sign",
        ),
        Index("ix_transactions_user_date_id", "user_id", "date", "id"),
        Index("ix_transactions_user_type_date_id", "user_id", "type", "date", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[Kind] = mapped_column(
        Enum(Kind, native_enum=False, length=7, create_constraint=True, name="ck_transactions_type")
    )
    description: Mapped[str] = mapped_column(String(255))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    category: Mapped[str | None] = mapped_column(String(64))
    date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def amount(self) -> Decimal:
        return from_cents(self.amount_cents)

    @amount.setter
    def amount(self, value: Decimal) -> None:
        self.amount_cents = to_cents(value)
