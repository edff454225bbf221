"""Sessions: where the caller is signed in, signing a lost device out, and changing the password
(which signs out every other session)."""

from uuid import UUID

from flask import Response
from werkzeug.exceptions import NotFound

from ..errors import FieldErrors
from ..i18n import _
from ..limits import failed_password_changes_by_user, login_by_address
from ..openapi.operation import documented
from ..passwords import hash_password, verify_password
from ..schemas.bodies import load_body, password_change_schema
from ..schemas.responses import sessions_schema
from ..stores.logins import LoginStore
from ..stores.users import UserStore, replace_password_hash
from ..tokens import current_login_id
from . import Resource, caller_store


class Sessions(Resource):
    """The caller's live sessions: one per login, not revoked and not expired."""

    @documented(returns=sessions_schema, tag="auth")
    def get(self):
        """List the caller's sessions, most recently active first."""
        current = current_login_id()
        sessions = [
            {
                "id": UUID(login.id),
                "device": login.device,
                "created_at": login.created_at,
                "last_active_at": login.last_active_at,
                "current": login.id == current,
            }
            for login in caller_store(LoginStore).live()
        ]
        return sessions_schema.dump(sessions), 200

    @documented(status=204, tag="auth")
    def delete(self):
        """Sign out every session of the caller but this one."""
        caller_store(LoginStore).revoke_all_but(current_login_id())
        return Response(status=204)


class Session(Resource):
    """One of the caller's sessions."""

    @documented(status=204, tag="auth")
    def delete(self, session_id: UUID):
        """Sign a session out: its access and refresh tokens are refused from now on."""
        if not caller_store(LoginStore).revoke(session_id.hex):
            raise NotFound()
        return Response(status=204)


class Password(Resource):
    """The caller's password."""

    rate_limits = (login_by_address,)

    @documented(status=204, body=password_change_schema, errors=(429,), tag="auth")
    @failed_password_changes_by_user
    def post(self):
        """Change the password; every other session is signed out, this one goes on."""
        fields = load_body(password_change_schema)
        user = caller_store(UserStore).get()
        if not verify_password(user.password_hash, fields["current_password"]):
            raise FieldErrors(
                {"current_password": [_("Wrong password.")]},
                422,
                _("The request body has invalid fields."),
            )
        replace_password_hash(user, hash_password(fields["new_password"]))
        LoginStore(user.id).revoke_all_but(current_login_id())
        return Response(status=204)
