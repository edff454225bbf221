"""Bearer tokens: issuing them per login, and every rule flask-jwt-extended applies to them.

`init_tokens(app)` registers every callback (signing keys, the claims this server issues,
revocation) and the answer to each refusal (cashman.refusals); nothing registers itself at
import. Tokens are verified by the library; this module only says which keys, which claims and
which logins are acceptable.
"""

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    get_jwt,
    get_jwt_request_location,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
)

from .keys import SigningKeys, load_signing_keys
from .models import LoginSession, User
from .refusals import refuse_claims_never_issued, register_refusals
from .stores.logins import LoginStore, login_owner
from .token_cache import RememberingJWTManager

jwt = RememberingJWTManager()
logger = logging.getLogger(__name__)


def init_tokens(app: Flask) -> None:
    """Bind flask-jwt-extended to the app with Cashman's keys, claim rules and refusals."""
    jwt.init_app(app)
    app.extensions["cashman.keys"] = load_signing_keys(app.config)
    app.before_request(_accept_the_scheme_in_any_case)
    jwt.additional_headers_loader(_kid_header)
    jwt.decode_key_loader(_verifying_key)
    jwt.token_in_blocklist_loader(_is_revoked)
    register_refusals(app)


def issue_tokens(user: User, device: str) -> dict[str, Any]:
    """Start a session for the user and return its tokens (`sub`: the user's public id)."""
    expires_at = datetime.now(UTC) + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    login = LoginStore(user.id).start(expires_at, device)
    return _tokens_of(str(user.public_id), login)


def rotate_tokens() -> dict[str, Any] | None:
    """Spend the request's refresh token for a new pair of the same session; None when it was
    spent before, beyond the grace window: the session is then revoked, and the reuse logged."""
    token = get_jwt()
    grace = current_app.config["REFRESH_REUSE_GRACE_SECONDS"]
    login = LoginStore(current_user_id()).rotate(token["sid"], token["jti"], grace)
    if login is None:
        session_id = str(uuid.UUID(token["sid"]))
        logger.warning("refresh token reused: session %s revoked", session_id)
        return None
    return _tokens_of(token["sub"], login)


def _tokens_of(subject: str, login: LoginSession) -> dict[str, Any]:
    """An access token and the live refresh token of a session (its `refresh_jti`), which ends
    when the session does."""
    lifetime = login.expires_at - datetime.now(UTC)
    claims = {"sid": login.id}
    refresh_claims = {**claims, "jti": login.refresh_jti}
    return {
        "access_token": create_access_token(subject, additional_claims=claims),
        "refresh_token": create_refresh_token(
            subject, additional_claims=refresh_claims, expires_delta=lifetime
        ),
        "token_type": "Bearer",
        "expires_in": _access_lifetime(),
        "session_id": str(uuid.UUID(login.id)),
        "refresh_expires_in": int(lifetime.total_seconds()),
    }


def by_cookie() -> bool:
    """Whether the request's token came in a cookie (a browser app), not a bearer header."""
    return get_jwt_request_location() == "cookies"


def cookie_answer(tokens: dict[str, Any], **fields: Any) -> Response:
    """A 200 that hands a browser its tokens as httpOnly cookies, with the CSRF cookies its
    scripts read for `X-CSRF-TOKEN`; no token is in the body."""
    body = {"token_type": "cookie", "expires_in": tokens["expires_in"], **fields}
    response = current_app.json.response(body)
    set_access_cookies(response, tokens["access_token"], max_age=tokens["refresh_expires_in"])
    set_refresh_cookies(response, tokens["refresh_token"], max_age=tokens["refresh_expires_in"])
    return _under_the_prefix(response)


def without_cookies(response: Response) -> Response:
    """The response, expiring the four token cookies (at the paths they were set with)."""
    unset_jwt_cookies(response)
    return _under_the_prefix(response)


def _under_the_prefix(response: Response) -> Response:
    """Move the token cookies' paths (the config's, under URL_PREFIX) under a prefix the request
    came through besides it (X-Forwarded-Prefix from a trusted proxy), so a browser sends them
    to this API only, and the refresh cookie reaches /auth/refresh."""
    if forwarded := request.script_root.removesuffix(current_app.config["URL_PREFIX"]):
        cookies = response.headers.getlist("Set-Cookie")
        response.headers.setlist(
            "Set-Cookie", [cookie.replace("; Path=/", f"; Path={forwarded}/") for cookie in cookies]
        )
    return response


def current_user_id() -> int:
    """The authenticated user's internal id, found by `_is_revoked` with the token's login."""
    return g.user_id


def current_login_id() -> str:
    """The id of the login the request's token belongs to."""
    return get_jwt()["sid"]


def published_keys() -> dict[str, Any]:
    """The JWK Set of the public keys that verify tokens (empty with HS256)."""
    return _signing_keys().jwks


def _signing_keys() -> SigningKeys:
    return current_app.extensions["cashman.keys"]


def _kid_header(identity: Any) -> dict[str, str]:
    kid = _signing_keys().current_kid
    return {"kid": kid} if kid else {}


def _accept_the_scheme_in_any_case() -> None:
    """`bearer` and `BEARER` are `Bearer` (auth schemes are case-insensitive, RFC 9110 11.1);
    flask-jwt-extended compares the scheme as written."""
    header = request.environ.get("HTTP_AUTHORIZATION", "")
    if header[:7].lower() == "bearer " and not header.startswith("Bearer "):
        request.environ["HTTP_AUTHORIZATION"] = f"Bearer {header[7:]}"


def _verifying_key(header: dict, payload: dict) -> str:
    """The key named by the token's `kid` (the current or the previous public key), once its
    claims are ones this server issues: `payload` is the token's own, before flask-jwt-extended
    fills in defaults, the only place it is seen so."""
    refuse_claims_never_issued(payload)
    if current_app.config["JWT_ALGORITHM"] == "HS256":
        return current_app.config["JWT_SECRET_KEY"]
    # An unknown kid gets the current key, so the signature check refuses the token.
    return _signing_keys().verifying.get(header.get("kid"), current_app.config["JWT_PUBLIC_KEY"])


def _is_revoked(header: dict, payload: dict) -> bool:
    """A token is refused unless its login exists, is not revoked and belongs to its subject.

    The same read gives the user's internal id, which the request's stores are bound to.
    """
    subject, login_id = payload.get("sub"), payload.get("sid")
    if not (isinstance(subject, str) and isinstance(login_id, str)):
        return True
    g.user_id = login_owner(login_id, subject)
    return g.user_id is None


def _access_lifetime() -> int:
    return int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())
