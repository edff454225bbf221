"""Rate-limit counters kept in the database, for a server without Redis: every worker and
instance sees them (cashman.limit_storage)."""

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import db


class LimitCounter(db.Model):
    """One limit's count for one key (a username, an address) in its current window.

    The key is the SHA-256 of the limit's key, so a name of any length fits; the window ends at
    `expires_at`, in seconds since the epoch (the clock of the server that opened it).
    """

    __tablename__ = "limit_counters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
