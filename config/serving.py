"""What the HTTP server (config/gunicorn.conf.py) and wsgi.py read before the app runs."""

import os
import sys
from collections.abc import Callable, Mapping
from typing import TypeVar

from .values import ConfigError, count

T = TypeVar("T")

APP_LOAD_ERROR = 4  # gunicorn's exit status for "the app failed to load": it stops the server


def stop_on_config_error(build: Callable[[], T]) -> T:
    """Build something from the settings; on a ConfigError print its one line and exit with
    APP_LOAD_ERROR, so that gunicorn stops instead of starting a worker again and again."""
    try:
        return build()
    except ConfigError as error:
        print(error.code, file=sys.stderr)
        raise SystemExit(APP_LOAD_ERROR) from None


def client_timeout(environ: Mapping[str, str] = os.environ) -> int:
    """CLIENT_TIMEOUT: seconds a client has to send a request's head, and the longest the
    server waits for any read or write on its connection (config/gunicorn.conf.py)."""
    return count(environ, "CLIENT_TIMEOUT", default=10) or 10
