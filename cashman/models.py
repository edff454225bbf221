"""Database tables: users, their logins (token sessions) and their transactions."""

import enum
import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import simplejson
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
    Text,
    TypeDecorator,
    func,
    type_coerce,
)
from sqlalchemy.orm import Mapped, mapped_column

from .database import db
from .money import from_cents

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer, "sqlite")
MAX_ID = 2**63 - 1  # the largest id either engine stores


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


class Cents(TypeDecorator):
    """Integer cents read as an exact Decimal amount: lets a column query give `amount`."""

    impl = BigInteger
    cache_ok = True

    def process_result_value(self, value: int | None, dialect) -> Decimal | None:
        return None if value is None else from_cents(value)


class JSONDocument(TypeDecorator):
    """A JSON value kept as text; numbers with a fraction load as exact `Decimal`s."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> str | None:
        return None if value is None else simplejson.dumps(value, use_decimal=True)

    def process_result_value(self, value: str | None, dialect) -> Any:
        return None if value is None else simplejson.loads(value, use_decimal=True)


class Kind(enum.Enum):
    INCOME = "INCOME"
    EXPENSE = "EXPENSE"


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The user's change counter: every create, real update and delete of one of their
    # transactions adds one, in the write's own database transaction (cashman.stores.totals).
    server_knowledge: Mapped[int] = mapped_column(Integer, server_default="0")
    # Deletes up to this version were forgotten (SYNC_RETENTION_DAYS): older deltas are gone.
    forgotten_through: Mapped[int] = mapped_column(Integer, server_default="0")


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
        # Keyset paging walks these in (date, id) order; amount_cents at the end lets counts and
        # sums over a date range or a category read the index alone (no table lookups).
        Index("ix_transactions_user_date_id_cents", "user_id", "date", "id", "amount_cents"),
        Index("ix_transactions_user_type_date_id", "user_id", "type", "date", "id"),
        Index("ix_transactions_user_version", "user_id", "version"),  # GET /sync
        Index(
            "ix_transactions_user_category_date_id_cents",
            "user_id",
            "category",
            "date",
            "id",
            "amount_cents",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[Kind] = mapped_column(
        Enum(Kind, native_enum=False, length=7, create_constraint=True, name="ck_transactions_type")
    )
    description: Mapped[str] = mapped_column(String(255))
    # The description as `q` matches it (cashman.filters.fold), kept by every write: neither
    # engine's lower() folds case fully, and SQLite's lowers ASCII letters only.
    search_text: Mapped[str] = mapped_column(Text, server_default="")
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    category: Mapped[str | None] = mapped_column(String(64))
    date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The user's change counter at the row's last change; every UPDATE and DELETE names the
    # version it read (optimistic locking, and the ETag).
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    @property
    def amount(self) -> Decimal:
        return from_cents(self.amount_cents)

    @classmethod
    def listed(cls) -> tuple:
        """The columns every read and write returns, as answered."""
        return (
            cls.id,
            cls.type,
            cls.description,
            type_coerce(cls.amount_cents, Cents).label("amount"),
            cls.category,
            cls.date,
            cls.created_at,
            cls.updated_at,
            cls.version,
        )


def etag(row: Any) -> str:
    """A row's strong ETag (unquoted): it changes with every update; a reused id gets a new one."""
    identity = f"{row.id}:{row.created_at.isoformat()}:{row.version}"
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


class DeletedTransaction(db.Model):
    """A tombstone: which row of a user was deleted, and the version of its delete (GET /sync)."""

    __tablename__ = "deleted_transactions"
    __table_args__ = (Index("ix_deleted_transactions_user_version", "user_id", "version"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    transaction_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    type: Mapped[Kind] = mapped_column(
        Enum(Kind, native_enum=False, length=7, create_constraint=True, name="ck_deleted_type")
    )
    version: Mapped[int] = mapped_column(Integer)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TransactionTotal(db.Model):
    """A user's running count and sum of one kind, kept by the store with every write.

    It answers the unfiltered X-Total-Count and /balance in constant time, however many rows
    the user owns.
    """

    __tablename__ = "transaction_totals"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[Kind] = mapped_column(
        Enum(Kind, native_enum=False, length=7, create_constraint=True, name="ck_totals_type"),
        primary_key=True,
    )
    count: Mapped[int] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)


class IdempotencyRecord(db.Model):
    """The answer to a POST sent with an `Idempotency-Key`, replayed when the key comes again."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    transaction_id: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
