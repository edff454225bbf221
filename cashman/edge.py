"""What every request passes through: proxies, request IDs, the JSON request log, CORS and
security headers (`Cache-Control` follows from each route's declaration: cashman.api).

Behind TRUSTED_PROXY_COUNT proxies the client address, scheme, host and path prefix come from
their X-Forwarded-* headers (Werkzeug's ProxyFix); with 0 those headers are ignored, so a client
cannot pick its own address. URL_PREFIX serves every route under a path instead. Either way the
prefix is the request's SCRIPT_NAME, so every URL the app writes (url_for, request.base_url)
carries it. Each request writes one JSON line to stderr; no header value is logged, so
no token or password can leak into a log.
"""

import logging
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from typing import IO

from flask import Flask, Response, current_app, g, request
from flask_cors import CORS
from flask_jwt_extended import get_jwt_identity
from pythonjsonlogger.msgspec import MsgspecFormatter
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    NotFound,
    RequestEntityTooLarge,
    RequestHeaderFieldsTooLarge,
    RequestURITooLarge,
)
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix

from .i18n import _

OUTSIDE_PREFIX = "cashman.outside_prefix"  # an environ key: the path is not under URL_PREFIX
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
# Limits on a request's head, kept below the HTTP server's own (config/gunicorn.conf.py), so that
# the app, not the server, refuses an oversize head: with a problem document, not an HTML page.
MAX_TARGET_BYTES = 4096  # the path and query of the request line
MAX_HEADER_BYTES = 8190  # one header line, name and value
MAX_HEADERS = 100
MIB = 1024 * 1024
SPOOL_MEMORY_BYTES = MIB  # of a route's own larger body; the rest waits on disk
SPOOL_CHUNK_BYTES = 64 * 1024
EXPOSED_HEADERS = [
    "Link",
    "X-Total-Count",
    "ETag",
    "Location",
    "X-Request-ID",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Content-Disposition",
]
ALLOWED_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-Request-ID",
    "X-CSRF-TOKEN",
]

request_log = logging.getLogger("cashman.requests")


def register_edge(app: Flask) -> None:
    """Install the proxy fix, CORS, and the before/after hooks of every request."""
    if prefix := app.config["URL_PREFIX"]:  # the path under it, with the prefix as SCRIPT_NAME
        app.wsgi_app = DispatcherMiddleware(
            _outside_the_prefix(app.wsgi_app), {prefix: app.wsgi_app}
        )
    if hops := app.config["TRUSTED_PROXY_COUNT"]:  # outermost: a forwarded prefix comes first
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
    if app.config["CORS_ORIGINS"]:
        CORS(
            app,
            origins=app.config["CORS_ORIGINS"],
            expose_headers=EXPOSED_HEADERS,
            allow_headers=ALLOWED_HEADERS,
            methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            supports_credentials=True,  # cookie sign-in, from these origins only
            max_age=600,
            vary_header=False,  # its Vary: Origin is only for several origins (_vary_by_origin)
        )
        app.after_request(_vary_by_origin)
    _log_as_json(app)
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_close_spooled_body)


def _outside_the_prefix(app: Callable) -> Callable:
    """The app for every path outside URL_PREFIX, marked so that `_start` answers the 404
    problem (with its request ID, log line and headers) whatever route the path would match."""

    def marked(environ: dict, start_response: Callable) -> Iterable[bytes]:
        environ[OUTSIDE_PREFIX] = True
        return app(environ, start_response)

    return marked


def _vary_by_origin(response: Response) -> Response:
    """Every answer depends on the Origin header once CORS is on: the allowed origin's answer
    carries Access-Control-* headers, another origin's (or one without Origin) has none. A shared
    cache must not hand one to the other (the JWKS and the docs are cacheable), so every answer
    says Vary: Origin, not only the ones flask-cors would mark (with several allowed origins)."""
    response.vary.add("Origin")
    return response


def current_request_id() -> str | None:
    """This request's ID, for problem bodies (None outside a request)."""
    return g.get("request_id")


def _start() -> None:
    g.started = time.perf_counter()
    offered = request.headers.get("X-Request-ID", "")
    g.request_id = offered if REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
    _refuse_an_oversize_head()
    if request.environ.get(OUTSIDE_PREFIX):
        raise NotFound()
    # The whole body is read before anything takes a database connection (the token check
    # does), so a client sending it slowly holds no more than its own connection to us.
    view_class = getattr(current_app.view_functions.get(request.endpoint), "view_class", None)
    try:
        if (limit := getattr(view_class, "body_limit", None)) is not None:
            g.spooled_body = _spool_body(limit)
        else:
            request.get_data(cache=True)
    except HTTPException:
        raise
    except Exception as error:
        # The HTTP server's own error for a body it cannot unframe (gunicorn's InvalidChunkSize,
        # a bad chunk size): WSGI names no type for it, and it is the client's fault.
        raise BadRequest() from error


def spooled_body() -> IO[bytes]:
    """The body of a route that declares its own `body_limit` (an import), read from its start."""
    g.spooled_body.seek(0)
    return g.spooled_body


def _close_spooled_body(error: BaseException | None) -> None:
    if (body := g.pop("spooled_body", None)) is not None:
        body.close()


def _spool_body(limit: int) -> IO[bytes]:
    """Read the whole body into memory up to SPOOL_MEMORY_BYTES and to a temporary file beyond,
    so that a large body costs disk, not memory; more than `limit` bytes is a 413."""
    too_large = RequestEntityTooLarge(
        _("The request body is larger than {mib} MiB.").format(mib=limit // MIB)
    )
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    # A byte more than the limit, so that the count here refuses a longer chunked body first.
    request.max_content_length = limit + 1
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)
    size = 0
    while chunk := request.stream.read(SPOOL_CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            body.close()
            raise too_large
        body.write(chunk)
    return body


def _refuse_an_oversize_head() -> None:
    environ = request.environ
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path
    if len(target) > MAX_TARGET_BYTES:
        raise RequestURITooLarge()
    headers = request.headers
    if len(headers) > MAX_HEADERS or any(
        len(name) + len(value) + 2 > MAX_HEADER_BYTES for name, value in headers.items()
    ):
        raise RequestHeaderFieldsTooLarge()


def _finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.request_id
    if response.status_code not in (429, 503):
        # Flask-Limiter sends Retry-After with its RateLimit-* headers on every answer; it only
        # means something on a 429 (or a 503).
        response.headers.pop("Retry-After", None)
    if not (
        response.is_streamed or response.direct_passthrough or response.calculate_content_length()
    ):
        # A 204, a 304 or an OPTIONS answer has no body, so it has no media type either.
        response.headers.pop("Content-Type", None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    request_log.info(
        "request",
        extra={
            "request_id": g.request_id,
            "method": request.method,
            "path": request.script_root + request.path,  # as the client (or gateway) asked
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - g.started) * 1000, 2),
            "user_id": _user_id(),
            "client": request.remote_addr,
        },
    )
    return response


def _user_id() -> str | None:
    """The public id of the user whose token this request verified, if any."""
    try:
        return get_jwt_identity()
    except RuntimeError:  # no token was verified
        return None


def _log_as_json(app: Flask) -> None:
    """One JSON object per line on stderr for the request log, app errors and limiter events."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        MsgspecFormatter(  # python-json-logger's, encoding with msgspec: a line in a few µs
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )
    )
    # "cashman" is also app.logger, and the parent of request_log. Flask-Limiter warns when the
    # shared Redis stops answering; its INFO lines would log the usernames of refused logins.
    for name, level in (("cashman", logging.INFO), ("flask-limiter", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
