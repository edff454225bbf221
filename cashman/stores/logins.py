"""One user's logins: each login's tokens carry its id as the `sid` claim."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import bindparam, delete, select, update

from ..database import db, request_connection
from ..models import LoginSession

# Built once: a request pays neither for building it nor for its cache key.
LOGIN_STATE = select(LoginSession.user_id, LoginSession.revoked_at).where(
    LoginSession.id == bindparam("login_id")
)


class LoginStore:
    """The logins of one user."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    def start(self, expires_at: datetime) -> str:
        """Record a new login and return its id; logins that expired are forgotten first."""
        now = datetime.now(UTC)
        db.session.execute(
            delete(LoginSession).where(
                LoginSession.user_id == self.user_id, LoginSession.expires_at < now
            )
        )
        login = LoginSession(id=uuid.uuid4().hex, user_id=self.user_id, expires_at=expires_at)
        db.session.add(login)
        db.session.commit()
        return login.id

    def is_live(self, login_id: str) -> bool:
        """Whether the login exists, is this user's and is not revoked.

        One primary-key read on the request's connection (its first statement opens it). The
        owner is compared here, not bound: a subject too large for the column is simply not it.
        """
        row = request_connection().execute(LOGIN_STATE, {"login_id": login_id}).first()
        return row is not None and row.revoked_at is None and row.user_id == self.user_id

    def revoke(self, login_id: str) -> None:
        """Refuse every token of this login from now on."""
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.id == login_id, LoginSession.user_id == self.user_id)
            .values(revoked_at=datetime.now(UTC))
        )
        db.session.commit()
