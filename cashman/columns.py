"""Column types of our own (UTC timestamps, JSON documents) and column defaults."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Text, TypeDecorator
from uuid_utils.compat import uuid7

from .json_provider import decode, encode


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_public_id() -> uuid.UUID:
    """A time-ordered UUID (v7) for a row the client did not name: random, so it leaks nothing
    of how many rows anyone has, and index-friendly."""
    return uuid7()


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


class JSONDocument(TypeDecorator):
    """A JSON value kept as text; numbers with a fraction load as exact `Decimal`s."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> str | None:
        return None if value is None else encode(value).decode()

    def process_result_value(self, value: str | None, dialect) -> Any:
        return None if value is None else decode(value)
