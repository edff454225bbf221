"""Users and their logins (token sessions)."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from ..columns import UTCDateTime, new_public_id, utcnow
from ..database import db


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)  # internal: the API shows public_id
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, default=new_public_id)
    username: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The user's change counter: every create, real update and delete of one of their rows or
    # accounts adds one, in the write's own database transaction (cashman.stores.ledger).
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
