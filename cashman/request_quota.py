"""RATE_LIMIT_API_USER: one quota of requests per user per window, across every protected route.

Every authenticated request spends from it, so it is counted in one storage call: the increment
of the user's counter for the current window, which answers the new count (`limits`' storage,
one Lua script on Redis). Windows are aligned to the clock (a minute from :00), so the
`RateLimit-Reset` of every answer needs no second call; Flask-Limiter's check made three (the
hit, then the count and the expiry for the headers).

The storage is the one of every limit (cashman.limit_storage) when that is Redis, with its
in-memory fallback; without Redis the quota counts in each worker's memory: a write to the
database on every request would cost more than the quota protects.
"""

import functools
import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g
from limits import RateLimitItem, parse
from limits.storage import Storage
from werkzeug.exceptions import TooManyRequests

from .i18n import _

SCOPE = "api-user"  # in the counters' keys
EXTENSION = "request_quota"


class RequestQuota:
    """One app's per-user request quota: its limit and its storage."""

    def __init__(self, limit: RateLimitItem, storage: Storage, prefix: str) -> None:
        self.limit = limit
        self.storage = storage
        self.prefix = prefix

    @classmethod
    def init_app(cls, app: Flask, storage: Storage) -> None:
        """Build the app's quota (none when "off") and the hook that writes its headers."""
        setting = app.config["RATE_LIMIT_API_USER"]
        if setting == "off":
            return
        prefix = app.config["RATELIMIT_KEY_PREFIX"]
        app.extensions[EXTENSION] = cls(parse(setting), storage, prefix)
        app.after_request(_rate_limit_headers)

    @staticmethod
    def spent_by(user_id: Callable[[], Any]) -> Callable[[Callable], Callable]:
        """A view decorator: the request spends one from the quota of `user_id()`'s user."""

        def decorate(view: Callable) -> Callable:
            @functools.wraps(view)
            def counted(*args: Any, **kwargs: Any) -> Any:
                if (quota := current_app.extensions.get(EXTENSION)) is not None:
                    quota.spend(str(user_id()))
                return view(*args, **kwargs)

            return counted

        return decorate

    def spend(self, user: str) -> None:
        """Count one request of `user`; a 429 when the window's quota is spent."""
        now = time.time()
        window = self.limit.get_expiry()
        start = int(now) // window * window
        key = self.limit.key_for(self.prefix, SCOPE, user, str(start))
        count = self.storage.incr(key, window)
        reset = start + window
        g.request_quota = (self.limit.amount, max(0, self.limit.amount - count), reset)
        if count > self.limit.amount:
            raise TooManyRequests(
                _("Too many requests for this user; try again later."),
                retry_after=max(1, math.ceil(reset - now)),
            )


def _rate_limit_headers(response: Response) -> Response:
    """The quota's RateLimit-* headers, on every answer to a request that spent from it."""
    if (state := g.get("request_quota")) is not None:
        limit, remaining, reset = state
        response.headers["RateLimit-Limit"] = str(limit)
        response.headers["RateLimit-Remaining"] = str(remaining)
        response.headers["RateLimit-Reset"] = str(reset)
    return response
