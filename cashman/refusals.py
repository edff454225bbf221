"""Why a token is refused: the claims this server never issues, and each exception PyJWT and
flask-jwt-extended raise for a token, by its class, as the 401 problem (or the CSRF 403) that
cashman.errors answers.

`register_refusals(app)` replaces the handlers flask-jwt-extended registers in `init_app`, one
per exception class, so it runs after it. Flask answers an exception with the handler of the
nearest class of its ancestry: a class a library upgrade adds under PyJWT's InvalidTokenError or
flask-jwt-extended's JWTExtendedException is still "The token is invalid.".
"""

import math
import time
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, request
from flask_jwt_extended.exceptions import (
    CSRFError,
    FreshTokenRequired,
    InvalidHeaderError,
    InvalidQueryParamError,
    JWTDecodeError,
    JWTExtendedException,
    NoAuthorizationError,
    RevokedTokenError,
    UserClaimsVerificationError,
    UserLookupError,
    WrongTokenError,
)
from jwt.exceptions import (
    DecodeError,
    ExpiredSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidSubjectError,
    InvalidTokenError,
    MissingRequiredClaimError,
)
from werkzeug.exceptions import Forbidden

from .errors import TokenRefused, answer_as
from .i18n import _, _l


class ClaimsNotIssued(InvalidTokenError):
    """A token whose claims this server never issues (cashman.tokens checks them)."""


class TooFewSegments(DecodeError):
    """A token without the three dot-separated parts of a JWT, refused before PyJWT parses it
    (cashman.token_cache), so that its answer can say so."""


# The setting that bounds each type of token's life (a refresh token's is its session's).
LIFETIMES = {"access": "JWT_ACCESS_TOKEN_EXPIRES", "refresh": "JWT_REFRESH_TOKEN_EXPIRES"}
INVALID = _l("The token is invalid.")
CLAIMS = _l("The token is invalid: a required claim is missing or malformed.")
# What each refusal says, by the class it is raised as.
REASONS: dict[type[Exception], Any] = {
    InvalidTokenError: INVALID,  # PyJWT's base class: e.g. a token not valid yet
    JWTExtendedException: INVALID,  # flask-jwt-extended's base class
    DecodeError: INVALID,  # a token that is not a JWT: bad padding, not JSON
    JWTDecodeError: INVALID,  # no `sub`, or a cookie token without its `csrf` claim
    MissingRequiredClaimError: INVALID,  # no `aud` or `iss` while one is configured
    InvalidQueryParamError: INVALID,
    TooFewSegments: _l("The token is invalid: Not enough segments."),
    InvalidSignatureError: _l("The token is invalid: Signature verification failed."),
    InvalidAlgorithmError: _l("The token is invalid: The specified alg value is not allowed."),
    InvalidSubjectError: _l("The token is invalid: Subject must be a string."),
    InvalidAudienceError: _l("The token is invalid: Audience doesn't match."),
    InvalidIssuerError: _l("The token is invalid: Issuer doesn't match."),
    InvalidHeaderError: _l(
        "The token is invalid: Bad Authorization header. Expected 'Authorization: Bearer <JWT>'."
    ),
    ClaimsNotIssued: CLAIMS,
    UserClaimsVerificationError: CLAIMS,
    ExpiredSignatureError: _l("The token has expired."),
    RevokedTokenError: _l("The token has been revoked."),
    UserLookupError: _l("The token's user no longer exists."),
    FreshTokenRequired: _l("A fresh token is required."),
}


def refuse_claims_never_issued(payload: dict) -> None:
    """Raise ClaimsNotIssued unless the token's own claims (before flask-jwt-extended fills in
    defaults: a missing `type` becomes "access") are ones this server issues."""
    if not _as_issued(payload):
        raise ClaimsNotIssued("claims this server never issues")


def _as_issued(payload: dict) -> bool:
    """Whether the claims are ones this server issues: a type, a token id, and whole-second
    times in the order and span it signs them (`iat` <= `nbf` <= now, `exp` after `iat` by at
    most that type's lifetime), so that no key-holder's token claiming 2^80, 1e400, a negative
    or a boolean time lives forever."""
    kind = payload.get("type")
    if kind not in LIFETIMES or not isinstance(payload.get("jti"), str):
        return False
    issued, expires = payload.get("iat"), payload.get("exp")
    not_before = payload.get("nbf", issued)
    if not all(type(value) is int for value in (issued, not_before, expires)):
        return False  # a bool is an int to isinstance, and PyJWT reads "123" and 1.5 as times
    leeway = _seconds(current_app.config["JWT_DECODE_LEEWAY"])
    lifetime = math.ceil(current_app.config[LIFETIMES[kind]].total_seconds())
    return (
        0 <= issued <= not_before <= time.time() + leeway
        and issued < expires <= issued + lifetime + leeway
    )


def _seconds(span: int | float | timedelta) -> float:
    return span.total_seconds() if isinstance(span, timedelta) else span


def register_refusals(app: Flask) -> None:
    """Answer every token refusal as a problem (after flask-jwt-extended's `init_app`)."""
    for error_class in REASONS:
        answer_as(app, error_class, _refused)
    answer_as(app, NoAuthorizationError, _missing)
    answer_as(app, WrongTokenError, _wrong_type)
    answer_as(app, CSRFError, _csrf_mismatch)


def _refused(error: Exception) -> TokenRefused:
    return TokenRefused(next(REASONS[cls] for cls in type(error).__mro__ if cls in REASONS))


def _missing(error: NoAuthorizationError) -> TokenRefused:
    presented = request.headers.get("Authorization", "").lower().startswith("bearer")
    return TokenRefused(_("A bearer access token is required."), token_presented=presented)


def _wrong_type(error: WrongTokenError) -> TokenRefused:
    """A refresh token where the route takes an access token, or the reverse: the route's
    declared `token`, which cashman.resources.Resource hands to `jwt_required`."""
    view = current_app.view_functions[request.endpoint]
    if getattr(getattr(view, "view_class", view), "token", "access") == "refresh":
        return TokenRefused(_("The token is invalid: Only refresh tokens are allowed."))
    return TokenRefused(_("The token is invalid: Only non-refresh tokens are allowed."))


def _csrf_mismatch(error: CSRFError) -> Forbidden:
    """A cookie-authenticated change without the CSRF header matching its cookie: 403."""
    return Forbidden(_("The X-CSRF-TOKEN header must match the CSRF cookie."))
