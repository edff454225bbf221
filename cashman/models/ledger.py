"""Transactions: the rows, their tombstones and each user's running totals."""

import enum
import hashlib
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..columns import UTCDateTime, new_public_id, utcnow
from ..database import db

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer, "sqlite")
MAX_VERSION = 2**31 - 1  # the largest version the Integer columns hold


# What a client writes of a transaction: two rows of one kind with these equal are the same.
CONTENT = ("description", "amount_minor", "category", "date", "account_id")


class Kind(enum.Enum):
    INCOME = "INCOME"
    EXPENSE = "EXPENSE"
    TRANSFER = "TRANSFER"  # a leg of a transfer: money that only moves

    @classmethod
    def named(cls, name: object) -> "Kind | None":
        """The kind a client names in any case (income, INCOME, Income), or None.

        ASCII only: `str.upper` would make the dotless "ı" of "ıncome" an "I".
        """
        if not (isinstance(name, str) and name.isascii()):
            return None
        return cls.__members__.get(name.upper())


def kind_type(constraint: str) -> Enum:
    """The `type` column's type: a `Kind`, checked by a named constraint."""
    return Enum(Kind, native_enum=False, length=8, create_constraint=True, name=constraint)


class Transaction(db.Model):
    __tablename__ = "transactions"
    __table_args__ = (
        CheckConstraint(
            "(type = 'INCOME' AND amount_minor > 0 AND transfer_id IS NULL)"
            " OR (type = 'EXPENSE' AND amount_minor < 0 AND transfer_id IS NULL)"
            " OR (type = 'TRANSFER' AND amount_minor <> 0 AND transfer_id IS NOT NULL)",
            name="ck_transactions_amount_sign",
        ),
        # A row is in one of its user's accounts, in that account's currency.
        ForeignKeyConstraint(
            ["user_id", "account_id", "currency"],
            ["accounts.user_id", "accounts.public_id", "accounts.currency"],
            name="fk_transactions_account",
        ),
        # Ids are unique per user: another user's row with the same id is another row.
        Index("uq_transactions_user_public_id", "user_id", "public_id", unique=True),
        # Keyset paging walks these in (date, created_version) order; amount_minor at the end
        # lets counts and sums over a date range or a category read the index alone.
        Index(
            "ix_transactions_user_date_created_cents",
            "user_id",
            "date",
            "created_version",
            "amount_minor",
        ),
        # Paging by kind; category and amount_minor at the end let a month's expenses per
        # category (GET /budgets/<month>) read the index alone.
        Index(
            "ix_transactions_user_type_date_created_category_cents",
            "user_id",
            "type",
            "date",
            "created_version",
            "category",
            "amount_minor",
        ),
        Index("ix_transactions_user_version", "user_id", "version"),  # GET /sync
        # A transfer's two legs, found by its id (only legs have one).
        Index(
            "ix_transactions_user_transfer",
            "user_id",
            "transfer_id",
            sqlite_where=text("transfer_id IS NOT NULL"),
            postgresql_where=text("transfer_id IS NOT NULL"),
        ),
        # Paging one account's rows (?account_id=), and its rows' key.
        Index(
            "ix_transactions_user_account_date_created",
            "user_id",
            "account_id",
            "date",
            "created_version",
        ),
        Index(
            "ix_transactions_user_category_date_created_cents",
            "user_id",
            "category",
            "date",
            "created_version",
            "amount_minor",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # internal: the API shows public_id
    # The id clients see and may choose (an offline app names its rows before it can send them).
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, default=new_public_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[Kind] = mapped_column(kind_type("ck_transactions_type"))
    description: Mapped[str] = mapped_column(String(255))
    # The description as `q` matches it (cashman.filters.fold), kept by every write: neither
    # engine's lower() folds case fully, and SQLite's lowers ASCII letters only.
    search_text: Mapped[str] = mapped_column(Text, server_default="")
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # in the currency's minor units
    # The account's public id: with `user_id` it names the account, so rows answer it without
    # a join; `currency` is the account's (the key checks it), which gives `amount` its digits.
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    currency: Mapped[str] = mapped_column(String(3))
    # The transfer a TRANSFER row is a leg of (null for every other row).
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
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

    @classmethod
    def listed(cls) -> tuple:
        """The columns every read and write returns, as answered."""
        return (
            cls.public_id,
            cls.type,
            cls.description,
            cls.amount_minor,
            cls.currency,
            cls.account_id,
            cls.transfer_id,
            cls.category,
            cls.date,
            cls.created_at,
            cls.updated_at,
            cls.version,
            cls.created_version,
        )


def etag(row: Any) -> str:
    """A row's strong ETag (unquoted): it changes with every update; a reused id gets a new one.
    An account's changes with its balance too (read at each answer, not versioned)."""
    identity = f"{row.public_id}:{row.created_at.isoformat()}:{row.version}"
    if (balance := getattr(row, "balance_minor", None)) is not None:
        identity += f":{balance}"
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


class DeletedTransaction(db.Model):
    """A tombstone: which row of a user was deleted, and the version of its delete (GET /sync)."""

    __tablename__ = "deleted_transactions"
    __table_args__ = (Index("ix_deleted_transactions_user_version", "user_id", "version"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    type: Mapped[Kind] = mapped_column(kind_type("ck_deleted_type"))
    version: Mapped[int] = mapped_column(Integer)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TransactionTotal(db.Model):
    """An account's running count and sum of one kind, kept by the ledger writer.

    It answers an account's balance, the unfiltered X-Total-Count and /balance in constant
    time, however many rows the user owns.
    """

    __tablename__ = "transaction_totals"
    __table_args__ = (
        ForeignKeyConstraint(
            ["user_id", "account_id"],
            ["accounts.user_id", "accounts.public_id"],
            ondelete="CASCADE",
            name="fk_totals_account",
        ),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # its public id
    type: Mapped[Kind] = mapped_column(kind_type("ck_totals_type"), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
