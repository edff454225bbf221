"""Settings for each environment, read once from environment variables.

`load_config()` picks the class named by `CASHMAN_ENV` (development, testing or production).
Every setting is documented in docs/configuration.md.
"""

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from .values import ConfigError, count, flag, rate_limit, read_key, seconds, url_prefix

MIN_SECRET_BYTES = 32
ALGORITHMS = ("HS256", "RS256", "ES256")
RATE_LIMITS = {
    "RATE_LIMIT_LOGIN_USERNAME": "5 per minute",
    "RATE_LIMIT_LOGIN_ADDRESS": "30 per minute",
    "RATE_LIMIT_REGISTER_ADDRESS": "10 per hour",
    "RATE_LIMIT_API_USER": "1200 per minute",
}


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    TESTING = False
    MAX_CONTENT_LENGTH = 1024 * 1024
    # A bearer header, or for browser apps httpOnly cookies with a CSRF double submit (the
    # header wins when both are sent, and needs no CSRF token).
    JWT_TOKEN_LOCATION = ["headers", "cookies"]
    JWT_COOKIE_SAMESITE = "Lax"
    JWT_SESSION_COOKIE = False  # cookies last as long as their tokens
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # Flask-Limiter: RateLimit-* and Retry-After headers. Its storage (cashman.limit_storage)
    # counts in memory while Redis or the database fails, so Flask-Limiter sees no storage error
    # to fall back from, and any other error is a bug: a 500, not a limit skipped.
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_HEADER_LIMIT = "RateLimit-Limit"
    RATELIMIT_HEADER_REMAINING = "RateLimit-Remaining"
    RATELIMIT_HEADER_RESET = "RateLimit-Reset"
    RATELIMIT_STORAGE_URI = "cashman://"
    RATELIMIT_SWALLOW_ERRORS = False
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = False
    RATELIMIT_KEY_PREFIX = "cashman"
    SQLITE_BUSY_TIMEOUT_MS = 5000
    # argon2id cost: RFC 9106's second recommended option (t=3, 64 MiB, 4 lanes).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_KIB = 64 * 1024
    ARGON2_PARALLELISM = 4

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        self.SQLALCHEMY_DATABASE_URI = _database_url(environ.get("DATABASE_URL"))
        self.DATABASE_STATEMENT_TIMEOUT = (
            count(environ, "DATABASE_STATEMENT_TIMEOUT", default=5) or 5
        )
        connect = count(environ, "DATABASE_CONNECT_TIMEOUT", default=5) or 5
        # A request waits at most this long for a pooled connection (the pool's own 30 s would
        # end in a 500): every worker serves many requests at once and shares its pool. An
        # in-memory SQLite database (tests) has one connection and no pool to wait on.
        if self.SQLALCHEMY_DATABASE_URI not in ("sqlite://", "sqlite:///:memory:"):
            self.SQLALCHEMY_ENGINE_OPTIONS = {
                **self.SQLALCHEMY_ENGINE_OPTIONS,
                "pool_timeout": connect,
            }
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            # A pooled connection left idle is pinged before use (cashman.postgres); a SQLite
            # file has no server to lose.
            self.SQLALCHEMY_ENGINE_OPTIONS["connect_args"] = _postgresql_timeouts(
                connect, self.DATABASE_STATEMENT_TIMEOUT
            )
        self.JWT_SECRET_KEY = environ.get("JWT_SECRET_KEY") or None
        self.JWT_ACCESS_TOKEN_EXPIRES = seconds(environ, "JWT_ACCESS_TOKEN_EXPIRES", 15 * 60)
        self.JWT_REFRESH_TOKEN_EXPIRES = seconds(
            environ, "JWT_REFRESH_TOKEN_EXPIRES", 30 * 24 * 3600
        )
        self.IDEMPOTENCY_KEY_TTL = seconds(environ, "IDEMPOTENCY_KEY_TTL", 24 * 3600)
        # A refresh token spent this recently may be presented again (its answer was lost).
        self.REFRESH_REUSE_GRACE_SECONDS = seconds(environ, "REFRESH_REUSE_GRACE_SECONDS", 30)
        # A new user's default account is in this currency unless they register with another
        # (checked against Babel's active currencies when the app is built).
        self.DEFAULT_CURRENCY = environ.get("DEFAULT_CURRENCY") or "USD"
        days = count(environ, "SYNC_RETENTION_DAYS", default=90) or 90
        self.SYNC_RETENTION_DAYS = timedelta(days=days)  # tombstones for GET /sync
        self._read_signing_keys(environ)
        for name, default in RATE_LIMITS.items():
            setattr(self, name, rate_limit(environ, name, default))
        # Where limits count: Redis, shared by every instance, or else the database.
        self.RATELIMIT_STORAGE_OPTIONS = {"shared": environ.get("REDIS_URL") or "database://"}
        if environ.get("REDIS_URL"):
            # A Redis that does not answer costs a request this much, then limits count in memory.
            timeout = (count(environ, "REDIS_TIMEOUT_MS", default=500) or 500) / 1000
            self.RATELIMIT_STORAGE_OPTIONS.update(
                socket_connect_timeout=timeout, socket_timeout=timeout
            )
        self.TRUSTED_PROXY_COUNT = count(environ, "TRUSTED_PROXY_COUNT")
        # Every route is served under this path (for gateways that forward the path whole).
        self.URL_PREFIX = url_prefix(environ, "URL_PREFIX")
        # Secure cookies (HTTPS only): on in production, off elsewhere so http://127.0.0.1 works.
        self.JWT_COOKIE_SECURE = flag(
            environ, "JWT_COOKIE_SECURE", default=self.ENV_NAME == "production"
        )
        origins = environ.get("CORS_ORIGINS", "")
        self.CORS_ORIGINS = [origin.strip() for origin in origins.split(",") if origin.strip()]

    # The token cookies' paths, under URL_PREFIX however it was set (a forwarded prefix is added
    # per request, cashman.tokens): the refresh cookie goes to /auth only, the CSRF cookies that
    # scripts read to every page.
    @property
    def JWT_ACCESS_COOKIE_PATH(self) -> str:
        return f"{self.URL_PREFIX}/"

    JWT_ACCESS_CSRF_COOKIE_PATH = JWT_REFRESH_CSRF_COOKIE_PATH = JWT_ACCESS_COOKIE_PATH

    @property
    def JWT_REFRESH_COOKIE_PATH(self) -> str:
        return f"{self.URL_PREFIX}/auth"

    def _read_signing_keys(self, environ: Mapping[str, str]) -> None:
        """HS256 with JWT_SECRET_KEY, or RS256/ES256 with PEM key files (and an old public key)."""
        self.JWT_ALGORITHM = environ.get("JWT_ALGORITHM", "HS256")
        if self.JWT_ALGORITHM not in ALGORITHMS:
            raise ConfigError(f"JWT_ALGORITHM must be one of {', '.join(ALGORITHMS)}")
        self.JWT_DECODE_ALGORITHMS = [self.JWT_ALGORITHM]  # never any other (no confusion)
        self.JWT_PRIVATE_KEY = self.JWT_PUBLIC_KEY = None
        self.JWT_NEXT_PUBLIC_KEY = self.JWT_PREVIOUS_PUBLIC_KEY = None
        if self.JWT_ALGORITHM != "HS256":
            self.JWT_PRIVATE_KEY = read_key(environ, "JWT_PRIVATE_KEY_FILE", required=True)
            self.JWT_PUBLIC_KEY = read_key(environ, "JWT_PUBLIC_KEY_FILE", required=True)
            # A rotation: the next key is published before anything is signed with it.
            self.JWT_NEXT_PUBLIC_KEY = read_key(environ, "JWT_NEXT_PUBLIC_KEY_FILE")
            self.JWT_PREVIOUS_PUBLIC_KEY = read_key(environ, "JWT_PREVIOUS_PUBLIC_KEY_FILE")
        self.JWKS_MAX_AGE = count(environ, "JWKS_MAX_AGE", default=300)
        self.JWT_ENCODE_ISSUER = self.JWT_DECODE_ISSUER = environ.get("JWT_ISSUER") or None
        self.JWT_ENCODE_AUDIENCE = self.JWT_DECODE_AUDIENCE = environ.get("JWT_AUDIENCE") or None


class DevelopmentConfig(Config):
    """Zero setup: SQLite under instance/ and a secret generated there on first start."""

    ENV_NAME = "development"


class TestingConfig(Config):
    """Fast password hashing, no rate limits and a throwaway secret, unless given."""

    ENV_NAME = "testing"
    TESTING = True
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_KIB = 1024
    ARGON2_PARALLELISM = 1

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        # Rate limits are off unless a test turns one on: suites register many users.
        super().__init__({**{name: "off" for name in RATE_LIMITS}, **environ})
        self.JWT_SECRET_KEY = self.JWT_SECRET_KEY or secrets.token_urlsafe(32)


class ProductionConfig(Config):
    """Refuses to start without a strong secret."""

    ENV_NAME = "production"

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        super().__init__(environ)
        secret = self.JWT_SECRET_KEY or ""
        if self.JWT_ALGORITHM == "HS256" and len(secret.encode()) < MIN_SECRET_BYTES:
            raise ConfigError(
                f"set JWT_SECRET_KEY to a random value of at least {MIN_SECRET_BYTES} bytes, e.g. "
                "the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )


ENVIRONMENTS: dict[str, type[Config]] = {
    cls.ENV_NAME: cls for cls in (DevelopmentConfig, TestingConfig, ProductionConfig)
}


def load_config(environ: Mapping[str, str] = os.environ) -> Config:
    """Build the settings of the environment named by CASHMAN_ENV (default: development)."""
    name = environ.get("CASHMAN_ENV", "development")
    if name not in ENVIRONMENTS:
        raise ConfigError(f"CASHMAN_ENV must be one of {', '.join(ENVIRONMENTS)}, not {name!r}")
    return ENVIRONMENTS[name](environ)


def development_secret(instance_path: str) -> str:
    """Return the secret kept in instance/jwt-secret, creating it once, safely across processes."""
    path = Path(instance_path) / "jwt-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"jwt-secret.{os.getpid()}")
        draft.write_text(secrets.token_urlsafe(48))
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # atomic: the first process to link wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def _database_url(raw: str | None) -> str:
    """The SQLAlchemy URL; a PostgreSQL URL without a driver (as hosts give them) uses psycopg 3."""
    if not raw:
        return "sqlite:///cashman.db"
    for scheme in ("postgres://", "postgresql://"):
        if raw.startswith(scheme):
            return "postgresql+psycopg://" + raw.removeprefix(scheme)
    return raw


def _postgresql_timeouts(connect: int, statement: int) -> dict[str, int | str]:
    """libpq settings under which a database that stops answering fails a request (503) in
    bounded time instead of hanging it: connecting, each statement (ended by the server), and a
    dead connection (TCP keepalives and the user timeout, noticed by the client's kernel). A path
    that still acknowledges packets but brings no answer is bounded by cashman.database."""
    return {
        "connect_timeout": connect,
        "options": f"-c statement_timeout={statement * 1000}",
        "keepalives": 1,
        "keepalives_idle": 1,
        "keepalives_interval": 1,
        "keepalives_count": max(1, statement - 1),
        "tcp_user_timeout": statement * 1000,
    }
