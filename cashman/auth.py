"""Accounts and tokens: register, log in, refresh, log out, and the caller's own account."""

from flask import Response
from flask_restful import Resource
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from .errors import FieldErrors
from .extensions import db
from .i18n import _
from .limits import (
    PROTECTED,
    REFRESH_PROTECTED,
    failed_logins_by_username,
    login_by_address,
    register_by_address,
)
from .models import User
from .openapi import documented
from .passwords import hash_password, needs_rehash, verify_password
from .schemas import credentials_schema, load_body, register_schema, tokens_schema, user_schema
from .tokens import current_user_id, issue_tokens, refresh_access_token, revoke_current_login


class Register(Resource):
    """An account: a username and a password."""

    method_decorators = [register_by_address]

    @documented(
        returns=user_schema,
        status=201,
        body=register_schema,
        errors=(409, 429),
        auth=None,
        tag="auth",
    )
    def post(self):
        """Create an account."""
        fields = load_body(register_schema)
        user = User(username=fields["username"], password_hash=hash_password(fields["password"]))
        db.session.add(user)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            raise FieldErrors(
                {"username": [_("This username is taken.")]},
                409,
                _("The username is already taken."),
            ) from None
        return user_schema.dump(user), 201


class Login(Resource):
    """A login: a pair of tokens for a username and password."""

    method_decorators = [failed_logins_by_username, login_by_address]

    @documented(
        returns=tokens_schema, body=credentials_schema, errors=(401, 429), auth=None, tag="auth"
    )
    def post(self):
        """Exchange a username and password for an access and a refresh token."""
        fields = load_body(credentials_schema)
        user = User.find(fields["username"])
        if not verify_password(user.password_hash if user else None, fields["password"]):
            raise Unauthorized(
                _("Wrong username or password."), www_authenticate=WWWAuthenticate("Bearer")
            )
        if needs_rehash(user.password_hash):  # saved with the new login below
            user.password_hash = hash_password(fields["password"])
        return tokens_schema.dump(issue_tokens(user)), 200


class Refresh(Resource):
    """A new access token for a refresh token."""

    method_decorators = REFRESH_PROTECTED

    @documented(returns=tokens_schema, auth="refresh", tag="auth")
    def post(self):
        """Exchange a refresh token for a new access token of the same login."""
        return tokens_schema.dump(refresh_access_token()), 200


class Logout(Resource):
    """The end of a login."""

    method_decorators = PROTECTED

    @documented(status=204, tag="auth")
    def post(self):
        """End this login: its access and refresh tokens are refused from now on."""
        revoke_current_login()
        return Response(status=204)


class Me(Resource):
    """The caller's own account."""

    method_decorators = PROTECTED

    @documented(returns=user_schema, tag="auth")
    def get(self):
        """Return the caller's account."""
        return user_schema.dump(db.session.get(User, current_user_id())), 200

    @documented(status=204, tag="auth")
    def delete(self):
        """Delete the caller's account with all its transactions and tokens."""
        db.session.execute(delete(User).where(User.id == current_user_id()))
        db.session.commit()
        return Response(status=204)
