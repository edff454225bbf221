"""One error shape for every failure: RFC 9457 problem details, always JSON.

Routing errors, aborts, token problems, validation and database errors all end here;
`cashman.api.CashmanApi` hands flask-restful's errors to these handlers instead of its own.
"""

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, request
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db, jwt

PROBLEM_MIMETYPE = "application/problem+json"
# RFC 9110 names; Python 3.11 and Werkzeug still use the older phrases for these.
TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}

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
        "title": TITLES.get(status) or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return current_app.json.make_response(body, status, headers, PROBLEM_MIMETYPE)


def token_problem(detail: str, *, token_presented: bool = True) -> Response:
    """A 401 for a missing or unusable bearer token, with the RFC 6750 challenge."""
    challenge = 'Bearer error="invalid_token"' if token_presented else "Bearer"
    return problem(401, detail, headers={"WWW-Authenticate": challenge})


def handle_http_exception(error: HTTPException) -> Response:
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return problem(
        error.code or 500,
        error.description or "",
        errors=getattr(error, "errors", None),
        headers=headers,
    )


def handle_validation_error(error: ValidationError) -> Response:
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return problem(422, "The request body has invalid fields.", errors=messages)


def handle_integrity_error(error: IntegrityError) -> Response:
    db.session.rollback()
    log.warning("Integrity error: %s", error.orig)
    return problem(409, "The request conflicts with data already stored.")


def handle_database_unavailable(error: OperationalError) -> Response:
    db.session.rollback()
    log.error("Database unavailable: %s", error.orig)
    return problem(
        503, "The database is unavailable; try again shortly.", headers={"Retry-After": "5"}
    )


@jwt.unauthorized_loader
def _missing_token(reason: str) -> Response:
    presented = request.headers.get("Authorization", "").lower().startswith("bearer")
    return token_problem("A bearer access token is required.", token_presented=presented)


@jwt.invalid_token_loader
def _invalid_token(reason: str) -> Response:
    return token_problem(f"The token is invalid: {reason.rstrip('.')}.")


# Token problems found after decoding: each loader gets (header, payload) and answers one 401.
TOKEN_PROBLEMS = [
    (jwt.expired_token_loader, "The token has expired."),
    (jwt.revoked_token_loader, "The token has been revoked."),
    (jwt.user_lookup_error_loader, "The token's user no longer exists."),
    (
        jwt.token_verification_failed_loader,
        "The token is invalid: a required claim is missing or malformed.",
    ),
    (jwt.needs_fresh_token_loader, "A fresh token is required."),
]
for register_loader, detail in TOKEN_PROBLEMS:
    register_loader(lambda header, payload, detail=detail: token_problem(detail))


def register_error_handlers(app: Flask) -> None:
    """Answer every error with a problem; 500s are logged with their traceback by Flask."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(OperationalError, handle_database_unavailable)
