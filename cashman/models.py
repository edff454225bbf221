"""Database tables: users, their logins (token sessions) and their transactions."""

import enum
import hashlib
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    func,
    type_coerce,
)
from sqlalchemy.orm import Mapped, mapped_column
from uuid_utils.compat import uuid7

from .columns import Cents, JSONDocument, UTCDateTime
from .database import db
from .money import from_cents

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer, "sqlite")
MAX_VERSION = 2**31 - 1  # the largest version the Integer columns hold


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_public_id() -> uuid.UUID:
    """A time-ordered UUID (v7) for a row the client did not name: random, so it leaks nothing
    of how many rows anyone has, and index-friendly."""
    return uuid7()


# What a client writes of a transaction: two rows of one kind with these equal are the same.
CONTENT = ("description", "amount", "category", "date")


class Kind(enum.Enum):
    INCOME = "INCOME"
    EXPENSE = "EXPENSE"


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)  # internal: the API shows public_id
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, default=new_public_id)
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
Index("uq_users_public_id", User.public_id, unique=True)


class LoginSession(db.Model):
    """One login (a session): its access and refresh tokens carry its id as the `sid` claim.

    Revoking it (logout, a session signed out, a password change, a refresh token reused)
    stamps `revoked_at`, which refuses every token of this login and no other. Its refresh
    token is rotated at each refresh: `refresh_jti` is the live one, `spent_refresh_jti` the one
    it replaced at `rotated_at`. Deleting the user deletes its logins.
    """

    __tablename__ = "logins"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # a UUID's hex
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device: Mapped[str] = mapped_column(String(100), server_default="unknown")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_active_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_jti: Mapped[str | None] = mapped_column(String(36))
    spent_refresh_jti: Mapped[str | None] = mapped_column(String(36))
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Transaction(db.Model):
    __tablename__ = "transactions"
    __table_args__ = (
        CheckConstraint(
            "(type = 'INCOME' AND amount_cents > 0) OR (type = 'EXPENSE' AND amount_cents < 0)",
            name="ck_transactions_amount_sign",
        ),
        # Ids are unique per user: another user's row with the same id is another row.
        Index("uq_transactions_user_public_id", "user_id", "public_id", unique=True),
        # Keyset paging walks these in (date, created_version) order; amount_cents at the end
        # lets counts and sums over a date range or a category read the index alone.
        Index(
            "ix_transactions_user_date_created_cents",
            "user_id",
            "date",
            "created_version",
            "amount_cents",
        ),
        Index(
            "ix_transactions_user_type_date_created", "user_id", "type", "date", "created_version"
        ),
        Index("ix_transactions_user_version", "user_id", "version"),  # GET /sync
        Index(
            "ix_transactions_user_category_date_created_cents",
            "user_id",
            "category",
            "date",
            "created_version",
            "amount_cents",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # internal: the API shows public_id
    # The id clients see and may choose (an offline app names its rows before it can send them).
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, default=new_public_id)
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
    # The version of the row's create: orders a day's rows newest first without any global
    # sequence (client ids are random; the internal id would leak how many rows everyone has).
    created_version: Mapped[int] = mapped_column(Integer)

    @property
    def amount(self) -> Decimal:
        return from_cents(self.amount_cents)

    @classmethod
    def listed(cls) -> tuple:
        """The columns every read and write returns, as answered."""
        return (
            cls.public_id,
            cls.type,
            cls.description,
            type_coerce(cls.amount_cents, Cents).label("amount"),
            cls.category,
            cls.date,
            cls.created_at,
            cls.updated_at,
            cls.version,
            cls.created_version,
        )


def etag(row: Any) -> str:
    """A row's strong ETag (unquoted): it changes with every update; a reused id gets a new one."""
    identity = f"{row.public_id}:{row.created_at.isoformat()}:{row.version}"
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


class DeletedTransaction(db.Model):
    """A tombstone: which row of a user was deleted, and the version of its delete (GET /sync)."""

    __tablename__ = "deleted_transactions"
    __table_args__ = (Index("ix_deleted_transactions_user_version", "user_id", "version"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
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
    transaction_id: Mapped[uuid.UUID] = mapped_column(Uuid)  # its public id
    etag: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReplayedBatch(db.Model):
    """The answer to a POST /sync batch that names an id more than once, replayed when the same
    batch comes again (IDEMPOTENCY_KEY_TTL): retrying one that creates and deletes a row must
    not do it twice. Other batches are idempotent by their operations alone."""

    __tablename__ = "replayed_batches"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    response: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
