"""One user's logins: each login's tokens carry its id as the `sid` claim."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, or_, select, update

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

    def start(self, expires_at: datetime, device: str) -> LoginSession:
        """Record a new login with its first refresh token's id; logins that expired are
        forgotten first."""
        now = datetime.now(UTC)
        db.session.execute(
            delete(LoginSession).where(
                LoginSession.user_id == self.user_id, LoginSession.expires_at < now
            )
        )
        login = LoginSession(
            id=uuid.uuid4().hex,
            user_id=self.user_id,
            device=device,
            created_at=now,
            last_active_at=now,
            expires_at=expires_at,
            refresh_jti=str(uuid.uuid4()),
        )
        db.session.add(login)
        db.session.commit()
        return login

    def live(self) -> list[LoginSession]:
        """The user's live logins (neither revoked nor expired), most recently active first."""
        return list(
            db.session.scalars(
                select(LoginSession)
                .where(*self._live())
                .order_by(LoginSession.last_active_at.desc(), LoginSession.id)
            )
        )

    def rotate(self, login_id: str, presented_jti: str, grace: timedelta) -> LoginSession | None:
        """Spend a refresh token of a live login: the login with its new `refresh_jti`, or None
        when the token was spent before (the login is then revoked: the token was stolen, or
        is being replayed).

        The token just replaced, presented again within `grace` of its rotation, gets the live
        one's id again (a client that lost the answer retries safely); the one before it, or
        after that, is a reuse. Each step is one conditional UPDATE: two instances racing to
        rotate one token cannot both win.
        """
        now = datetime.now(UTC)
        this = (LoginSession.id == login_id, *self._live(now))
        rotated = db.session.scalar(
            update(LoginSession)
            .where(
                *this,
                or_(LoginSession.refresh_jti == presented_jti, LoginSession.refresh_jti.is_(None)),
            )
            .values(
                refresh_jti=str(uuid.uuid4()),
                spent_refresh_jti=presented_jti,
                rotated_at=now,
                last_active_at=now,
            )
            .returning(LoginSession)
        )
        if rotated is None:
            rotated = db.session.scalar(
                update(LoginSession)
                .where(
                    *this,
                    LoginSession.spent_refresh_jti == presented_jti,
                    LoginSession.rotated_at >= now - grace,
                )
                .values(last_active_at=now)
                .returning(LoginSession)
            )
        if rotated is None:
            self.revoke(login_id)
            return None
        db.session.commit()
        return rotated

    def revoke(self, login_id: str) -> bool:
        """Refuse every token of this login from now on; False if it was not a live login of
        this user."""
        revoked = db.session.execute(
            update(LoginSession)
            .where(LoginSession.id == login_id, *self._live())
            .values(revoked_at=datetime.now(UTC))
        ).rowcount
        db.session.commit()
        return revoked > 0

    def revoke_all_but(self, login_id: str) -> None:
        """Sign out every other session of the user."""
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.id != login_id, *self._live())
            .values(revoked_at=datetime.now(UTC))
        )
        db.session.commit()

    def _live(self, now: datetime | None = None) -> tuple:
        return (
            LoginSession.user_id == self.user_id,
            LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > (now or datetime.now(UTC)),
        )
