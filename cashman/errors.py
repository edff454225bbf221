"""One error shape for every failure: RFC 9457 problem details, always JSON.

Errors are raised, never returned: an HTTPException (werkzeug's, `FieldErrors`, `TokenRefused`)
anywhere is answered by `handle_http_exception`; a library's own exception is answered as the
HTTPException it stands for (`answer_as`: the token refusals of cashman.refusals); validation
and database errors have handlers here. `cashman.api.CashmanApi` hands flask-restful's errors to
these handlers instead of its own.
"""

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, Unauthorized

from .database import db
from .edge import current_request_id
from .i18n import _, _l, translated

PROBLEM_MIMETYPE = "application/problem+json"
# Problem titles: RFC 9110's reason phrases (Python 3.11 still has older ones for 413 and 422).
TITLES = {
    400: _l("Bad Request"),
    401: _l("Unauthorized"),
    403: _l("Forbidden"),
    404: _l("Not Found"),
    405: _l("Method Not Allowed"),
    409: _l("Conflict"),
    410: _l("Gone"),
    412: _l("Precondition Failed"),
    413: _l("Content Too Large"),
    414: _l("URI Too Long"),
    415: _l("Unsupported Media Type"),
    422: _l("Unprocessable Content"),
    429: _l("Too Many Requests"),
    431: _l("Request Header Fields Too Large"),
    500: _l("Internal Server Error"),
    503: _l("Service Unavailable"),
}
# Details for Werkzeug's own errors, in place of its English descriptions.
DETAILS = {
    400: _l("The request could not be understood."),
    401: _l("Authentication is required."),
    404: _l(
        "The requested URL was not found on the server. If you entered the URL manually please "
        "check your spelling and try again."
    ),
    405: _l("The method is not allowed for the requested URL."),
    413: _l("The request body is larger than 1 MiB."),
    414: _l("The URL is longer than 4096 bytes."),
    415: _l("The request body must be JSON (Content-Type: application/json)."),
    431: _l("A request may have 100 headers of at most 8190 bytes each."),
    500: _l(
        "The server encountered an internal error and was unable to complete your request. "
        "Either the server is overloaded or there is an error in the application."
    ),
}

log = logging.getLogger(__name__)


class FieldErrors(HTTPException):
    """Request fields that failed validation; `errors` names each one with its messages."""

    def __init__(self, errors: dict[str, Any], code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.errors = errors


def problem(
    status: int,
    detail: str,
    *,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build the problem-details response every error uses."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": str(TITLES.get(status) or HTTPStatus(status).phrase),
        "status": status,
        "detail": str(detail),
    }
    if errors:
        body["errors"] = _as_text(errors)
    if request_id := current_request_id():
        body["request_id"] = request_id
    return current_app.json.make_response(body, status, headers, PROBLEM_MIMETYPE)


def flat_messages(messages: Any, path: str = "") -> dict[str, list[str]]:
    """Validation messages as {"name": [text]} in the request's language, nested ones under
    dotted names ("operations.3.id"); a nested schema's own messages belong to its name."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = path if key == "_schema" and path else f"{path}.{key}" if path else str(key)
            for inner, texts in flat_messages(value, name).items():
                flat.setdefault(inner, []).extend(texts)
        return flat
    texts = messages if isinstance(messages, list) else [messages]
    return {path or "_schema": [translated(text) for text in texts]}


def _as_text(messages: Any) -> Any:
    """Messages as text in the request's language, each name's as a list (marshmallow keeps a
    lazy message of a field as it is, not in a list)."""
    if isinstance(messages, dict):
        return {
            key: _as_text(value if isinstance(value, dict | list) else [value])
            for key, value in messages.items()
        }
    if isinstance(messages, list):
        return [_as_text(text) if isinstance(text, dict) else translated(text) for text in messages]
    return translated(messages)


class TokenRefused(Unauthorized):
    """A missing or unusable token: a 401 with RFC 6750's challenge, `Bearer` alone when no
    bearer token was presented (werkzeug's WWWAuthenticate would not quote `invalid_token`)."""

    def __init__(self, detail: str, *, token_presented: bool = True) -> None:
        super().__init__(detail)
        self.challenge = 'Bearer error="invalid_token"' if token_presented else "Bearer"

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return [("WWW-Authenticate", self.challenge)]


def token_problem(detail: str, *, token_presented: bool = True) -> Response:
    """The answer to `TokenRefused`, for a caller that must change it before it goes (the
    cookie refresh expires the cookies of a revoked session); raise TokenRefused otherwise."""
    return handle_http_exception(TokenRefused(detail, token_presented=token_presented))


def answer_as(
    app: Flask, error_class: type[Exception], translate: Callable[[Any], HTTPException]
) -> None:
    """Answer a library's exception as the HTTP error `translate` makes of it, as if that had
    been raised. Registered after the library's own handlers (flask-jwt-extended registers
    one per exception class in `init_app`), it replaces them."""
    app.register_error_handler(error_class, lambda error: handle_http_exception(translate(error)))


def handle_http_exception(error: HTTPException) -> Response:
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    code = error.code or 500
    detail = error.description or ""
    if detail == type(error).description:  # Werkzeug's own English text
        detail = DETAILS.get(code, detail)
    return problem(code, detail, errors=getattr(error, "errors", None), headers=headers)


def handle_validation_error(error: ValidationError) -> Response:
    return problem(
        422, _("The request body has invalid fields."), errors=flat_messages(error.messages)
    )


def handle_integrity_error(error: IntegrityError) -> Response:
    db.session.rollback()
    log.warning("Integrity error: %s", error.orig)
    return problem(409, _("The request conflicts with data already stored."))


def handle_database_unavailable(error: OperationalError | PoolTimeout) -> Response:
    """The database did not answer, or every pooled connection stayed busy for
    DATABASE_CONNECT_TIMEOUT: either way a 503, not a 500."""
    db.session.rollback()
    log.error("Database unavailable: %s", getattr(error, "orig", None) or error)
    return problem(
        503, _("The database is unavailable; try again shortly."), headers={"Retry-After": "5"}
    )


def register_error_handlers(app: Flask) -> None:
    """Answer every error with a problem; 500s are logged with their traceback by Flask."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(PoolTimeout, handle_database_unavailable)
