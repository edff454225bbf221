"""Accounts and tokens: register, log in, refresh, log out, the caller's own account, and the
public keys that verify tokens."""

from flask import Response, current_app, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from ..errors import FieldErrors, token_problem
from ..i18n import _
from ..limits import failed_logins_by_username, login_by_address, register_by_address
from ..openapi.operation import documented
from ..passwords import hash_password, needs_rehash, verify_password
from ..schemas.bodies import load_body, login_schema, register_schema
from ..schemas.responses import (
    cookie_login_schema,
    cookie_tokens_schema,
    jwk_set_schema,
    login_tokens_schema,
    me_schema,
    tokens_schema,
    user_schema,
)
from ..stores.accounts import AccountStore
from ..stores.logins import LoginStore
from ..stores.users import UserStore, add_user, find_user, replace_password_hash
from ..tokens import (
    by_cookie,
    cookie_answer,
    current_login_id,
    issue_tokens,
    published_keys,
    rotate_tokens,
    without_cookies,
)
from . import Resource, caller_store


class Register(Resource):
    """An account: a username and a password."""

    public = True
    rate_limits = (register_by_address,)

    @documented(
        returns=user_schema, status=201, body=register_schema, errors=(409, 429), tag="auth"
    )
    def post(self):
        """Create an account."""
        fields = load_body(register_schema)
        password_hash = hash_password(fields["password"])
        user = add_user(fields["username"], password_hash, fields.get("currency"))
        if user is None:
            raise FieldErrors(
                {"username": [_("This username is taken.")]},
                409,
                _("The username is already taken."),
            )
        return user_schema.dump(user), 201


class Login(Resource):
    """A login: a pair of tokens for a username and password."""

    public = True
    rate_limits = (failed_logins_by_username, login_by_address)

    @documented(
        returns=(login_tokens_schema, cookie_login_schema),
        only={"Set-Cookie": 'With `"cookies": true`.'},
        body=login_schema,
        errors=(401, 429),
        tag="auth",
    )
    def post(self):
        """Start a session: exchange a username and password for an access and a refresh token."""
        fields = load_body(login_schema)
        user = find_user(fields["username"])
        if not verify_password(user.password_hash if user else None, fields["password"]):
            raise Unauthorized(
                _("Wrong username or password."), www_authenticate=WWWAuthenticate("Bearer")
            )
        if needs_rehash(user.password_hash):
            replace_password_hash(user, hash_password(fields["password"]))
        device = fields.get("device") or request.user_agent.string[:100].strip() or "unknown"
        tokens = issue_tokens(user, device)
        if fields["cookies"]:
            return cookie_answer(tokens, session_id=tokens["session_id"])
        return login_tokens_schema.dump(tokens), 200


class Refresh(Resource):
    """A new pair of tokens for a refresh token, which is spent."""

    token = "refresh"

    @documented(
        returns=(tokens_schema, cookie_tokens_schema),
        only={"Set-Cookie": "When the refresh token came as a cookie."},
        tag="auth",
    )
    def post(self):
        """Exchange a refresh token for a new access and refresh token of the same session.

        A refresh token is spent when used. Presented again within REFRESH_REUSE_GRACE_SECONDS
        (its answer was lost), it gets the session's live pair again; later, it is a 401 and the
        whole session is signed out: a stolen token must not live on unnoticed.
        """
        tokens = rotate_tokens()
        if tokens is None:
            refused = token_problem(
                _("The refresh token was already used: the session is revoked.")
            )
            return without_cookies(refused) if by_cookie() else refused
        if by_cookie():
            return cookie_answer(tokens)
        return tokens_schema.dump(tokens), 200


class Logout(Resource):
    """The end of a login."""

    @documented(status=204, tag="auth")
    def post(self):
        """End this login: its access and refresh tokens are refused from now on."""
        caller_store(LoginStore).revoke(current_login_id())
        return without_cookies(Response(status=204))


class Me(Resource):
    """The caller's own account."""

    @documented(returns=me_schema, tag="auth")
    def get(self):
        """Return the caller's account, with the id of its default account."""
        user = caller_store(UserStore).get()
        default = caller_store(AccountStore).default()
        fields = {name: getattr(user, name) for name in ("public_id", "username", "created_at")}
        return me_schema.dump({**fields, "default_account_id": default.public_id}), 200

    @documented(status=204, tag="auth")
    def delete(self):
        """Delete the caller's account with all its transactions and tokens."""
        caller_store(UserStore).delete()
        return Response(status=204)


class JWKS(Resource):
    """The public keys that verify Cashman's tokens (RFC 7517); empty with HS256."""

    public = True

    @documented(returns=jwk_set_schema, headers=("Cache-Control",), database=False, tag="auth")
    def get(self):
        """Return the JWK Set: the signing key, then the next and the previous one in a rotation.

        Cacheable for JWKS_MAX_AGE seconds: publish the next key at least that long before the
        switch, and gateways know it before its first token.
        """
        response = current_app.json.response(published_keys())
        response.cache_control.public = True  # gateways and shared caches may keep it too
        response.cache_control.max_age = current_app.config["JWKS_MAX_AGE"]
        return response
