"""JWT sessions: issuing tokens per login, refusing revoked ones, and the caller's identity."""

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt, get_jwt_identity
from sqlalchemy import bindparam, delete, select

from .extensions import db, jwt, request_connection
from .models import LoginSession, User


def issue_tokens(user: User) -> dict[str, Any]:
    """Start a login for `user` and return its access and refresh tokens."""
    now = datetime.now(UTC)
    # Logins whose refresh token has expired can do nothing more: forget them.
    db.session.execute(
        delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.expires_at < now)
    )
    login = LoginSession(
        id=uuid.uuid4().hex,
        user_id=user.id,
        expires_at=now + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"],
    )
    db.session.add(login)
    db.session.commit()
    claims = {"sid": login.id}
    return {
        "access_token": create_access_token(str(user.id), additional_claims=claims),
        "refresh_token": create_refresh_token(str(user.id), additional_claims=claims),
        "token_type": "Bearer",
        "expires_in": _access_lifetime(),
    }


def refresh_access_token() -> dict[str, Any]:
    """Return a new access token for the login of the refresh token in this request."""
    token = get_jwt()
    return {
        "access_token": create_access_token(token["sub"], additional_claims={"sid": token["sid"]}),
        "token_type": "Bearer",
        "expires_in": _access_lifetime(),
    }


def revoke_current_login() -> None:
    """Refuse every token of the login this request's token belongs to."""
    login = db.session.get(LoginSession, get_jwt()["sid"])
    login.revoked_at = datetime.now(UTC)
    db.session.commit()


def current_user_id() -> int:
    """The authenticated user's id (verified by `_is_revoked` to be a number)."""
    return int(get_jwt_identity())


@jwt.token_verification_loader
def _has_required_claims(header: dict, payload: dict) -> bool:
    """Refuse tokens without the claims Cashman issues: no token lives forever or has no type."""
    return (
        all(isinstance(payload.get(claim), int) for claim in ("exp", "iat"))
        and isinstance(payload.get("jti"), str)
        and payload.get("type") in ("access", "refresh")
    )


# Built once (see cashman.store): the owner and revocation time of a login.
LOGIN_STATE = select(LoginSession.user_id, LoginSession.revoked_at).where(
    LoginSession.id == bindparam("session_id")
)


@jwt.token_in_blocklist_loader
def _is_revoked(header: dict, payload: dict) -> bool:
    """A token is refused unless its login exists, is not revoked and belongs to its subject."""
    subject, session_id = payload.get("sub"), payload.get("sid")
    if not (isinstance(subject, str) and subject.isascii() and subject.isdigit()):
        return True
    if not isinstance(session_id, str):
        return True
    # One indexed read of two columns; the first statement of a request opens its connection.
    login = request_connection().execute(LOGIN_STATE, {"session_id": session_id}).first()
    return login is None or login.revoked_at is not None or login.user_id != int(subject)


def _access_lifetime() -> int:
    return int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())
