"""Settings for each environment, read once from environment variables.

`load_config()` picks the class named by `CASHMAN_ENV` (development, testing or production).
Every setting is documented in docs/configuration.md.
"""

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

MIN_SECRET_BYTES = 32


class ConfigError(SystemExit):
    """A setting that stops the service from starting.

    It is a SystemExit so that `flask`, gunicorn and the start script print one line and stop,
    instead of a traceback.
    """

    def __init__(self, message: str) -> None:
        super().__init__(f"cashman: configuration error: {message}")


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    TESTING = False
    MAX_CONTENT_LENGTH = 1024 * 1024
    JWT_TOKEN_LOCATION = ["headers"]
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = 5000
    # argon2id cost: RFC 9106's second recommended option (t=3, 64 MiB, 4 lanes).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_KIB = 64 * 1024
    ARGON2_PARALLELISM = 4

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        self.SQLALCHEMY_DATABASE_URI = _database_url(environ.get("DATABASE_URL"))
        self.JWT_SECRET_KEY = environ.get("JWT_SECRET_KEY") or None
        self.JWT_ACCESS_TOKEN_EXPIRES = _seconds(environ, "JWT_ACCESS_TOKEN_EXPIRES", 15 * 60)
        self.JWT_REFRESH_TOKEN_EXPIRES = _seconds(
            environ, "JWT_REFRESH_TOKEN_EXPIRES", 30 * 24 * 3600
        )


class DevelopmentConfig(Config):
    """Zero setup: SQLite under instance/ and a secret generated there on first start."""

    ENV_NAME = "development"


class TestingConfig(Config):
    """Fast password hashing and a throwaway secret unless one is given."""

    ENV_NAME = "testing"
    TESTING = True
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_KIB = 1024
    ARGON2_PARALLELISM = 1

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        super().__init__(environ)
        self.JWT_SECRET_KEY = self.JWT_SECRET_KEY or secrets.token_urlsafe(32)


class ProductionConfig(Config):
    """Refuses to start without a strong secret."""

    ENV_NAME = "production"

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        super().__init__(environ)
        secret = self.JWT_SECRET_KEY or ""
        if len(secret.encode()) < MIN_SECRET_BYTES:
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


def _seconds(environ: Mapping[str, str], name: str, default: int) -> timedelta:
    raw = environ.get(name)
    if raw is None:
        return timedelta(seconds=default)
    if not raw.isdigit() or int(raw) == 0:
        raise ConfigError(f"{name} must be a whole number of seconds above 0, not {raw!r}")
    return timedelta(seconds=int(raw))
