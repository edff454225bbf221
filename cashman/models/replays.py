"""Answers kept so that a client's retry is answered again instead of done twice."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..columns import JSONDocument, UTCDateTime, utcnow
from ..database import db


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
