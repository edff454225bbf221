"""Rate limits, each set by a RATE_LIMIT_* setting; "off" disables one.

A limit hit is a 429 problem with Retry-After and RateLimit-* headers. The limits of logins,
registrations and password changes are Flask-Limiter's, counted where every worker and instance
sees them: in Redis when REDIS_URL names one, else in the database (cashman.limit_storage). The
per-user request quota, which every authenticated request spends, is counted with the `limits`
library (Flask-Limiter's own) in one storage call (cashman.request_quota), in Redis or else in
each worker's memory.
"""

from collections.abc import Callable

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage

from .i18n import _
from .limit_storage import SharedCounters
from .request_quota import RequestQuota
from .tokens import current_user_id

# The client address is the socket peer, or what TRUSTED_PROXY_COUNT proxies said (ProxyFix).
limiter = Limiter(key_func=get_remote_address)


def init_limits(app: Flask) -> None:
    """Attach the limiter and the per-user request quota to the app.

    Every Flask-Limiter limit of Cashman decorates a resource method and is checked by its
    wrapper. Flask-Limiter's before-request hook serves default and application-wide limits, of
    which Cashman has none: it would only cost every request its time (about 0.1 ms), so it is
    taken out. Flask-Limiter 3.13 removed the public switch for it (`auto_check=False`): this
    is the one reliance on its private names (`Limiter._check_request_limit`), and
    tests/test_limits.py::test_flask_limiter_checks_limits_only_where_they_are_declared fails
    first when an upgrade changes it.
    """
    limiter.init_app(app)
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    RequestQuota.init_app(app, _quota_storage(limiter.storage))


def _quota_storage(storage: SharedCounters) -> SharedCounters | MemoryStorage:
    """The limiter's own storage when it is Redis; without Redis each worker's memory (a write to
    the database on every request would cost more than the quota protects)."""
    return MemoryStorage() if storage.in_database else storage


# Flask-Limiter parses a limit even when `exempt_when` skips it: "off" stands in as this.
UNUSED = "1 per day"


def _setting(name: str) -> Callable[[], str]:
    return lambda: UNUSED if current_app.config[name] == "off" else current_app.config[name]


def _off(name: str) -> Callable[[], bool]:
    return lambda: current_app.config[name] == "off"


def _login_username() -> str:
    """The username a login is for, whatever its case (so "Alice" counts for "alice")."""
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    return username.lower() if isinstance(username, str) else ""


def _user() -> str:
    return str(current_user_id())


# Each error_message is a function, not a lazy string: Flask-Limiter keeps its limits in sets, and
# a lazy string's hash changes with the language it renders in, which would duplicate a limit.
login_by_address = limiter.limit(
    _setting("RATE_LIMIT_LOGIN_ADDRESS"),
    exempt_when=_off("RATE_LIMIT_LOGIN_ADDRESS"),
    scope="login-address",
    error_message=lambda: _("Too many logins from this address; try again later."),
)
# Only failed logins count; once over the limit even the right password waits for the window.
failed_logins_by_username = limiter.limit(
    _setting("RATE_LIMIT_LOGIN_USERNAME"),
    key_func=_login_username,
    deduct_when=lambda response: response.status_code == 401,
    exempt_when=_off("RATE_LIMIT_LOGIN_USERNAME"),
    scope="login-username",
    error_message=lambda: _("Too many failed logins for this username; try again later."),
)
register_by_address = limiter.limit(
    _setting("RATE_LIMIT_REGISTER_ADDRESS"),
    exempt_when=_off("RATE_LIMIT_REGISTER_ADDRESS"),
    scope="register-address",
    error_message=lambda: _("Too many accounts registered from this address; try again later."),
)
# One request quota per user across every protected route; runs after the token is verified.
api_by_user = RequestQuota.spent_by(current_user_id)
# A password change is a guess at the current password: failed ones count like failed logins,
# per user (it decorates the method itself, so it runs after the token check).
failed_password_changes_by_user = limiter.limit(
    _setting("RATE_LIMIT_LOGIN_USERNAME"),
    key_func=_user,
    deduct_when=lambda response: response.status_code == 422,
    exempt_when=_off("RATE_LIMIT_LOGIN_USERNAME"),
    scope="password-user",
    error_message=lambda: _("Too many failed password changes; try again later."),
)
