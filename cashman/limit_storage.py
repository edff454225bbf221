"""Where every rate limit counts: a storage every worker and instance shares (Redis when
REDIS_URL names one, else the database), and this process's memory while that one fails.

Flask-Limiter builds it from its settings (RATELIMIT_STORAGE_URI "cashman://", and
RATELIMIT_STORAGE_OPTIONS: "shared", REDIS_URL or "database://", and Redis' socket timeouts):
a `limits` Storage naming its STORAGE_SCHEME is that library's documented way to add one. The
per-user request quota spends from the same instance when it is Redis (cashman.limits): one
pool of connections, one fallback, one warning per outage.

A shared storage that fails (Redis down or not answering within REDIS_TIMEOUT_MS, the database
refusing) is left for RETRY_SECONDS, during which limits count in memory; the outage is one
WARNING line (no traceback: it is no bug) and its end one INFO line. No error reaches
Flask-Limiter, which would log each one with a traceback and skip the limit.
"""

import logging
import time

from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from sqlalchemy.exc import SQLAlchemyError

from .stores.limit_counters import LimitCounterStore, clear_all_counters

DATABASE = "database://"
RETRY_SECONDS = 5.0
logger = logging.getLogger(__name__)


class DatabaseStorage(Storage):
    """Fixed-window counters in the database (cashman.stores.limit_counters), for a server
    without Redis: the lockout of a username holds whichever worker a guess reaches."""

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return LimitCounterStore(key).add(amount, expiry, time.time())

    def get(self, key: str) -> int:
        return LimitCounterStore(key).count(time.time())

    def get_expiry(self, key: str) -> float:
        return LimitCounterStore(key).expires_at(time.time())

    def check(self) -> bool:
        try:
            LimitCounterStore("").count(time.time())
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int:
        return clear_all_counters()

    def clear(self, key: str) -> None:
        LimitCounterStore(key).clear()


class SharedCounters(Storage):
    """The shared storage, with this process's memory standing in while it fails."""

    STORAGE_SCHEME = ["cashman"]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str
    ) -> None:
        super().__init__(uri, wrap_exceptions)
        shared = str(options.pop("shared", DATABASE))
        if shared == DATABASE:
            self.shared: Storage = DatabaseStorage(wrap_exceptions=True)
        else:
            self.shared = storage_from_string(shared, wrap_exceptions=True, **options)
        self.memory = MemoryStorage()
        self.shared_down_until = 0.0

    @property
    def in_database(self) -> bool:
        """Whether the shared storage is the database (no Redis)."""
        return isinstance(self.shared, DatabaseStorage)

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        return ()  # nothing to wrap: every failure of the shared storage is handled here

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._call("incr", key, expiry, amount)

    def get(self, key: str) -> int:
        return self._call("get", key)

    def get_expiry(self, key: str) -> float:
        return self._call("get_expiry", key)

    def check(self) -> bool:
        return self.shared.check()

    def reset(self) -> int | None:
        self.memory.reset()
        return self.shared.reset()

    def clear(self, key: str) -> None:
        self.memory.clear(key)
        self._call("clear", key)

    def _call(self, name: str, *args):
        """Ask the shared storage, unless it failed within RETRY_SECONDS; else the memory."""
        if time.monotonic() >= self.shared_down_until:
            try:
                answer = getattr(self.shared, name)(*args)
            except StorageError as error:
                self._fall_back(error)
            else:
                if self.shared_down_until:
                    self.shared_down_until = 0.0
                    logger.info("rate limit storage reachable again")
                return answer
        return getattr(self.memory, name)(*args)

    def _fall_back(self, error: StorageError) -> None:
        if not self.shared_down_until:
            logger.warning(
                "rate limit storage unreachable (%s): counting in memory",
                type(error.storage_error).__name__,
            )
        self.shared_down_until = time.monotonic() + RETRY_SECONDS
