"""One user's logins: each login's tokens carry its id as the `sid` claim."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import bindparam, delete, select, update

from ..database import db, request_connection
from ..models import LoginSession, User

# Built once: a request pays neither for building it nor for its cache key.
LOGIN_STATE = (
    select(LoginSession.user_id, LoginSession.revoked_at, User.public_id)
    .join(User, User.id == LoginSession.user_id)
    .where(LoginSession.id == bindparam("login_id"))
)


def login_owner(login_id: str, subject: str) -> int | None:
    """The internal id of the user whose live login this is, if the user's public id is
    `subject`; None if the login is unknown, revoked or someone else's.

    Two primary-key reads in one statement on the request's connection (its first statement
    opens it). The subject is compared here, not bound: any string is simply not a match.
    """
    row = request_connection().execute(LOGIN_STATE, {"login_id": login_id}).first()
    if row is None or row.revoked_at is not None or str(row.public_id) != subject:
        return None
    return row.user_id


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

    def revoke(self, login_id: str) -> None:
        """Refuse every token of this login from now on."""
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.id == login_id, LoginSession.user_id == self.user_id)
            .values(revoked_at=datetime.now(UTC))
        )
        db.session.commit()
