"""Accounts: where a user's money is (a checking account, a card, a wallet), each in one
currency, and the tombstones of deleted ones."""

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..columns import UTCDateTime, new_public_id, utcnow
from ..database import db


class AccountKind(enum.Enum):
    checking = "checking"
    savings = "savings"
    credit_card = "credit_card"
    cash = "cash"
    investment = "investment"
    loan = "loan"
    other = "other"


class Account(db.Model):
    """One of a user's accounts. Its balance is its opening balance plus its running totals
    (`TransactionTotal`, kept by the ledger writer), so reading it costs the same whatever the
    account holds."""

    __tablename__ = "accounts"
    __table_args__ = (
        Index("uq_accounts_user_public_id", "user_id", "public_id", unique=True),
        # The target of the rows' key: a row's currency is its account's, checked by the
        # database, so an account's currency cannot change under its rows.
        UniqueConstraint("user_id", "public_id", "currency", name="uq_accounts_user_id_currency"),
        # Names are unique per user whatever their case ("Savings" and "SAVINGS" clash).
        Index("uq_accounts_user_name_key", "user_id", "name_key", unique=True),
        # At most one default per user (the store keeps exactly one).
        Index(
            "uq_accounts_user_default",
            "user_id",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
        Index("ix_accounts_user_version", "user_id", "version"),  # GET /sync
    )

    id: Mapped[int] = mapped_column(primary_key=True)  # internal: the API shows public_id
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, default=new_public_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    # The name as uniqueness compares it (cashman.filters.fold): neither engine's lower()
    # folds case fully.
    name_key: Mapped[str] = mapped_column(Text)
    kind: Mapped[AccountKind] = mapped_column(
        Enum(
            AccountKind,
            native_enum=False,
            length=11,
            create_constraint=True,
            name="ck_accounts_kind",
        )
    )
    currency: Mapped[str] = mapped_column(String(3))
    opening_balance_minor: Mapped[int] = mapped_column(BigInteger, server_default="0")
    archived: Mapped[bool] = mapped_column(Boolean, server_default=false())
    is_default: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The user's change counter at the account's last change of its own fields (its balance
    # is read at each answer), from the same counter as the rows'.
    version: Mapped[int] = mapped_column(Integer)
    created_version: Mapped[int] = mapped_column(Integer)

    @classmethod
    def listed(cls) -> tuple:
        """The columns every read and write of an account returns (its balance apart)."""
        return (
            cls.public_id,
            cls.name,
            cls.kind,
            cls.currency,
            cls.opening_balance_minor,
            cls.archived,
            cls.is_default,
            cls.version,
            cls.created_at,
            cls.updated_at,
        )


# What a client writes of an account: two creates with these equal are the same.
ACCOUNT_CONTENT = ("name", "kind", "currency", "opening_balance_minor", "archived")


class DeletedAccount(db.Model):
    """A deleted account's tombstone: its id and the version of its delete (GET /sync)."""

    __tablename__ = "deleted_accounts"
    __table_args__ = (Index("ix_deleted_accounts_user_version", "user_id", "version"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime)
