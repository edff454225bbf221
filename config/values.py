"""How a setting's text becomes its value, or a ConfigError that names the setting."""

import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from limits import parse_many


class ConfigError(SystemExit):
    """A setting that stops the service from starting.

    It is a SystemExit so that `flask`, gunicorn and the start script print one line and stop,
    instead of a traceback.
    """

    def __init__(self, message: str) -> None:
        super().__init__(f"cashman: configuration error: {message}")


def read_key(environ: Mapping[str, str], name: str, required: bool = False) -> str | None:
    path = environ.get(name)
    if not path:
        if required:
            raise ConfigError(f"{name} must name a PEM file when JWT_ALGORITHM is not HS256")
        return None
    try:
        return Path(path).read_text()
    except OSError as error:
        raise ConfigError(f"{name}: cannot read {path!r}: {error.strerror}") from None


def rate_limit(environ: Mapping[str, str], name: str, default: str) -> str:
    """A limit in Flask-Limiter's notation ("5 per minute", "100/hour"), or "off"."""
    value = environ.get(name, default).strip()
    if value != "off":
        try:
            parse_many(value)
        except ValueError:
            raise ConfigError(
                f"{name} must be like '5 per minute' or 'off', not {value!r}"
            ) from None
    return value


def count(environ: Mapping[str, str], name: str, default: int = 0) -> int:
    raw = environ.get(name, str(default))
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None:
        return default
    if raw.lower() not in ("true", "false", "1", "0"):
        raise ConfigError(f"{name} must be true or false, not {raw!r}")
    return raw.lower() in ("true", "1")


def seconds(environ: Mapping[str, str], name: str, default: int) -> timedelta:
    raw = environ.get(name)
    if raw is None:
        return timedelta(seconds=default)
    if not raw.isdigit() or int(raw) == 0:
        raise ConfigError(f"{name} must be a whole number of seconds above 0, not {raw!r}")
    return timedelta(seconds=int(raw))


PATH_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)+")


def url_prefix(environ: Mapping[str, str], name: str) -> str:
    """A path prefix like "/api" or "/v1/cashman" (no trailing slash), or "" for none."""
    raw = environ.get(name, "")
    if raw and not PATH_PREFIX.fullmatch(raw):
        raise ConfigError(f"{name} must be a path like '/api' (no trailing slash), not {raw!r}")
    return raw
