"""RATE_LIMIT_API_USER: one budget of requests per user across every protected route.

Every authenticated request spends it, so it is counted in one storage call: the increment of
the user's counter for the current window, which answers the new count (`limits`' storage,
one Lua script on Redis). Windows are aligned to the clock (a minute from :00), so the
`RateLimit-Reset` of every answer needs no second call; Flask-Limiter's check made three (the
hit, then the count and the expiry for the headers). The storage and its options are
Flask-Limiter's (RATELIMIT_STORAGE_URI, from REDIS_URL): one Redis for every limit.

A shared storage that fails (Redis down or not answering within REDIS_TIMEOUT_MS) is left
for RETRY_SECONDS, during which the budget counts in this process's memory, with one warning
per outage.
"""

import functools
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from werkzeug.exceptions import TooManyRequests

from .i18n import _

RETRY_SECONDS = 5.0
SCOPE = "api-user"
logger = logging.getLogger(__name__)


class UserBudget:
    """One app's per-user budget: its limit, its storage, and the in-memory fallback."""

    def __init__(self, limit: RateLimitItem, shared: Storage, prefix: str) -> None:
        self.limit = limit
        self.shared = shared
        self.memory = shared if isinstance(shared, MemoryStorage) else None
        self.prefix = prefix
        self.shared_down_until = 0.0

    @classmethod
    def init_app(cls, app: Flask) -> None:
        """Build the app's budget (none when "off") and the hook that writes its headers."""
        setting = app.config["RATE_LIMIT_API_USER"]
        if setting == "off":
            return
        options = app.config.get("RATELIMIT_STORAGE_OPTIONS") or {}
        storage = storage_from_string(
            app.config["RATELIMIT_STORAGE_URI"], wrap_exceptions=True, **options
        )
        app.extensions[SCOPE] = cls(parse(setting), storage, app.config["RATELIMIT_KEY_PREFIX"])
        app.after_request(_rate_limit_headers)

    @staticmethod
    def spent_by(user_id: Callable[[], Any]) -> Callable[[Callable], Callable]:
        """A view decorator: the request spends one from the budget of `user_id()`'s user."""

        def decorate(view: Callable) -> Callable:
            @functools.wraps(view)
            def counted(*args: Any, **kwargs: Any) -> Any:
                if (budget := current_app.extensions.get(SCOPE)) is not None:
                    budget.spend(str(user_id()))
                return view(*args, **kwargs)

            return counted

        return decorate

    def spend(self, user: str) -> None:
        """Count one request of `user`; a 429 when the window's budget is spent."""
        now = time.time()
        window = self.limit.get_expiry()
        start = int(now) // window * window
        key = self.limit.key_for(self.prefix, SCOPE, user, str(start))
        count = self._increment(key, window)
        reset = start + window
        g.rate_limit = (self.limit.amount, max(0, self.limit.amount - count), reset)
        if count > self.limit.amount:
            raise TooManyRequests(
                _("Too many requests for this user; try again later."),
                retry_after=max(1, math.ceil(reset - now)),
            )

    def _increment(self, key: str, window: int) -> int:
        if time.monotonic() >= self.shared_down_until:
            try:
                count = self.shared.incr(key, window)
            except StorageError as error:
                self._fall_back(error)
            else:
                if self.shared_down_until:
                    self.shared_down_until = 0.0
                    logger.info("per-user rate limit storage reachable again")
                return count
        if self.memory is None:
            self.memory = MemoryStorage()
        return self.memory.incr(key, window)

    def _fall_back(self, error: StorageError) -> None:
        if not self.shared_down_until:
            logger.warning(
                "per-user rate limit storage unreachable (%s): counting in memory",
                type(error.storage_error).__name__,
            )
        self.shared_down_until = time.monotonic() + RETRY_SECONDS


def _rate_limit_headers(response: Response) -> Response:
    """The budget's RateLimit-* headers, on every answer to a request that spent from it."""
    if (state := g.get("rate_limit")) is not None:
        limit, remaining, reset = state
        response.headers["RateLimit-Limit"] = str(limit)
        response.headers["RateLimit-Remaining"] = str(remaining)
        response.headers["RateLimit-Reset"] = str(reset)
    return response
