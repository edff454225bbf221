"""Every token problem is a 401 problem with a Bearer challenge, on every protected route.

These run with TESTING off, the production error path, where flask-restful would otherwise
turn token errors into 500s.
"""

import base64
import json
import time
import uuid
from datetime import timedelta

import jwt
import pytest
from helpers import SOME_ID, assert_problem, json_body, login, protected_routes, register

PROTECTED = protected_routes()
INVALID = 'Bearer error="invalid_token"'
MISSING = "A bearer access token is required."
MALFORMED = (
    "The token is invalid: Bad Authorization header. Expected 'Authorization: Bearer <JWT>'."
)


def call(client, method, path, token=None, raw_header=None):
    headers = {}
    if raw_header is not None:
        headers["Authorization"] = raw_header
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.open(path, method=method, headers=headers, json={"description": "x"})


def claims_of(token: str, secret: str) -> dict:
    return jwt.decode(token, secret, algorithms=["HS256"])


def forge(claims: dict, key: str = "", algorithm: str = "HS256", **changes) -> str:
    payload = {**claims, **changes}
    payload = {k: v for k, v in payload.items() if v is not None}
    if algorithm == "none":
        header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=")
        body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=")
        return f"{header.decode()}.{body.decode()}."
    return jwt.encode(payload, key, algorithm=algorithm)


def test_the_protected_routes_are_every_route_but_the_public_ones():
    """Derived from the URL map: a route is public only by its resource's own declaration."""
    paths = {path.rstrip("/") for _, path, _ in PROTECTED}
    assert paths == {
        "/auth/logout",
        "/auth/me",
        "/auth/sessions",
        f"/auth/sessions/{SOME_ID}",
        "/auth/password",
        "/auth/refresh",
        "/incomes",
        f"/incomes/{SOME_ID}",
        "/expenses",
        f"/expenses/{SOME_ID}",
        "/accounts",
        f"/accounts/{SOME_ID}",
        "/transfers",
        f"/transfers/{SOME_ID}",
        "/transactions",
        "/transactions.csv",
        "/transactions/import",
        "/balance",
        "/summary",
        "/sync",
        "/categories",
        f"/categories/{SOME_ID}",
        "/budgets/2026-11",
        f"/budgets/2026-11/{SOME_ID}",
    }
    assert [(method, token) for method, path, token in PROTECTED if path == "/auth/refresh"] == [
        ("POST", "refresh")
    ]


@pytest.mark.parametrize(("method", "path", "token"), PROTECTED)
def test_missing_token_is_401_on_every_protected_route(prod_client, method, path, token):
    response = call(prod_client, method, path)
    assert_problem(response, 401, "Unauthorized", MISSING)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("method", "path", "token"), PROTECTED)
def test_garbage_token_is_401_on_every_protected_route(prod_client, method, path, token):
    response = call(prod_client, method, path, token="not-a-jwt")
    assert_problem(response, 401, "Unauthorized", "The token is invalid: Not enough segments.")
    assert response.headers["WWW-Authenticate"] == INVALID


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_case_insensitive(prod_client, account, scheme):
    """RFC 9110 11.1: auth schemes are case-insensitive (found live: `bearer` was refused)."""
    response = call(prod_client, "GET", "/incomes", raw_header=f"{scheme} {account.access_token}")
    assert (response.status_code, response.get_json()) == (200, [])


@pytest.mark.parametrize(
    ("header", "challenge", "detail"),
    [
        ("Basic YWxpY2U6cGFzc3dvcmQ=", "Bearer", MISSING),
        ("Token abc", "Bearer", MISSING),
        ("Bearer", INVALID, MALFORMED),
        ("Bearer a b", INVALID, MALFORMED),
    ],
)
def test_malformed_authorization_header_is_401(prod_client, header, challenge, detail):
    response = call(prod_client, "GET", "/incomes", raw_header=header)
    assert_problem(response, 401, "Unauthorized", detail)
    assert response.headers["WWW-Authenticate"] == challenge


def tamper(token: str, **changes) -> str:
    """Change claims in a signed token and keep its old signature."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body = base64.urlsafe_b64encode(json.dumps({**claims, **changes}).encode()).rstrip(b"=")
    return f"{header}.{body.decode()}.{signature}"


CLAIMS = "The token is invalid: a required claim is missing or malformed."
OTHER_KEY = "another-secret-that-is-long-enough-for-every-hmac-0123456789abcdef"
HOUR_AGO = int(time.time()) - 3600

# name: (make a token from (claims of a real access token, its raw form, refresh token, secret),
#        the problem's detail)
TOKEN_CASES = {
    "bad signature": (
        lambda c, raw, refresh, key: forge(c, OTHER_KEY),
        "The token is invalid: Signature verification failed.",
    ),
    "alg none": (
        lambda c, raw, refresh, key: forge(c, algorithm="none"),
        "The token is invalid: The specified alg value is not allowed.",
    ),
    "another HMAC algorithm": (
        lambda c, raw, refresh, key: forge(c, key, "HS512"),
        "The token is invalid: The specified alg value is not allowed.",
    ),
    "expired": (
        lambda c, raw, refresh, key: forge(c, key, iat=HOUR_AGO, nbf=HOUR_AGO, exp=HOUR_AGO + 60),
        "The token has expired.",
    ),
    "tampered subject": (
        lambda c, raw, refresh, key: tamper(raw, sub=str(uuid.uuid4())),
        "The token is invalid: Signature verification failed.",
    ),
    "refresh token as access token": (
        lambda c, raw, refresh, key: refresh,
        "The token is invalid: Only non-refresh tokens are allowed.",
    ),
    "subject that is not a UUID": (
        lambda c, raw, refresh, key: forge(c, key, sub="alice"),
        "The token has been revoked.",
    ),
    "subject in upper case": (
        lambda c, raw, refresh, key: forge(c, key, sub=c["sub"].upper()),
        "The token has been revoked.",
    ),
    "subject of another user than the login's": (
        lambda c, raw, refresh, key: forge(c, key, sub=str(uuid.uuid4())),
        "The token has been revoked.",
    ),
    "unknown login": (
        lambda c, raw, refresh, key: forge(c, key, sid=uuid.uuid4().hex),
        "The token has been revoked.",
    ),
    "no login claim": (
        lambda c, raw, refresh, key: forge(c, key, sid=None),
        "The token has been revoked.",
    ),
    "integer subject": (
        lambda c, raw, refresh, key: forge(c, key, sub=7),
        "The token is invalid: Subject must be a string.",
    ),
    "no expiry": (
        lambda c, raw, refresh, key: forge(c, key, exp=None),
        CLAIMS,
    ),
    "no issued-at": (
        lambda c, raw, refresh, key: forge(c, key, iat=None),
        CLAIMS,
    ),
    "no token id": (
        lambda c, raw, refresh, key: forge(c, key, jti=None),
        CLAIMS,
    ),
    "unknown type": (
        lambda c, raw, refresh, key: forge(c, key, type="admin"),
        CLAIMS,
    ),
    # Found live: flask-jwt-extended fills in type "access" before any check of ours ran.
    "no type": (
        lambda c, raw, refresh, key: forge(c, key, type=None),
        CLAIMS,
    ),
    "no subject": (
        lambda c, raw, refresh, key: forge(c, key, sub=None),
        "The token is invalid.",
    ),
}


@pytest.fixture
def account(prod_client, make_account):
    return make_account(prod_client, "alice")


@pytest.mark.parametrize("case", TOKEN_CASES)
@pytest.mark.parametrize(("method", "path"), [("GET", "/incomes"), ("GET", "/auth/me")])
def test_bad_token_is_401_with_invalid_token_challenge(
    prod_client, account, secret, case, method, path
):
    make_token, detail = TOKEN_CASES[case]
    claims = claims_of(account.access_token, secret)
    token = make_token(claims, account.access_token, account.refresh_token, secret)
    response = call(prod_client, method, path, token=token)
    assert_problem(response, 401, "Unauthorized", detail)
    assert response.headers["WWW-Authenticate"] == INVALID


def test_access_token_cannot_refresh(prod_client, account):
    response = prod_client.post("/auth/refresh", headers=account.headers)
    assert_problem(
        response, 401, "Unauthorized", "The token is invalid: Only refresh tokens are allowed."
    )
    assert response.headers["WWW-Authenticate"] == INVALID


def test_expired_refresh_token_is_401(prod_client, account, secret):
    claims = claims_of(account.refresh_token, secret)
    expired = forge(claims, secret, iat=HOUR_AGO, nbf=HOUR_AGO, exp=HOUR_AGO + 60)
    response = prod_client.post("/auth/refresh", headers={"Authorization": f"Bearer {expired}"})
    assert_problem(response, 401, "Unauthorized", "The token has expired.")


def test_the_configured_lifetimes_are_the_real_tokens(another_app):
    """The server signs `exp` at JWT_*_TOKEN_EXPIRES after `iat`.

    That an expired token is refused is the "expired" case above (a signed token whose `exp` has
    passed), without waiting for a real one to expire.
    """
    app = another_app(
        testing=False,
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=2),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(seconds=7),
    )
    client = app.test_client()
    register(client, "alice")
    tokens = json_body(login(client, "alice"))
    assert tokens["expires_in"] == 2
    for name, lifetime in [("access_token", 2), ("refresh_token", 7)]:
        claims = jwt.decode(tokens[name], options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == lifetime, name
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/incomes", headers=headers).status_code == 200


@pytest.mark.parametrize(("method", "path", "token"), PROTECTED)
def test_token_of_a_deleted_user_is_401_everywhere(prod_client, make_account, method, path, token):
    account = make_account(prod_client, "alice")
    assert prod_client.delete("/auth/me", headers=account.headers).status_code == 204
    presented = account.refresh_token if token == "refresh" else account.access_token
    response = call(prod_client, method, path, token=presented)
    assert_problem(response, 401, "Unauthorized", "The token has been revoked.")
    assert response.headers["WWW-Authenticate"] == INVALID


# Claims outside what this server ever issues, in validly signed tokens (found live: an `exp` of
# 2^80 or 10^400 was accepted). Each value replaces one claim of a real access token; the
# payload's JSON is written by hand, so a literal such as 1e400 reaches the server as written
# (Python's json reads it as inf, and 1 followed by 400 zeros as an int).
BIG = 2**80
ABSURD_CLAIMS = {
    "exp 2^80": ("exp", str(BIG)),
    "exp 10^400 as digits": ("exp", "1" + "0" * 400),
    "exp 1e400": ("exp", "1e400"),
    "exp -1": ("exp", "-1"),
    "exp a fraction": ("exp", "{iat}.5"),
    "exp true": ("exp", "true"),
    "exp a string": ("exp", '"{exp}"'),
    "exp past the access lifetime": ("exp", "{exp_plus_one}"),
    "exp before iat": ("exp", "{iat_minus_one}"),
    "iat 2^80": ("iat", str(BIG)),
    "iat 10^400 as digits": ("iat", "1" + "0" * 400),
    "iat -2^80": ("iat", str(-BIG)),
    "iat -1": ("iat", "-1"),
    "iat true": ("iat", "true"),
    "iat a string": ("iat", '"{iat}"'),
    "nbf 2^80": ("nbf", str(BIG)),
    "nbf 1e400": ("nbf", "1e400"),
    "nbf -1": ("nbf", "-1"),
    "nbf false": ("nbf", "false"),
    "nbf a fraction": ("nbf", "{iat}.5"),
    "nbf a string": ("nbf", '"{iat}"'),
}


def signed_with_raw_claim(claims: dict, secret: str, name: str, literal: str) -> str:
    """The token of `claims` with claim `name` written as the JSON text `literal`."""
    values = {
        "iat": claims["iat"],
        "exp": claims["exp"],
        "exp_plus_one": claims["exp"] + 1,
        "iat_minus_one": claims["iat"] - 1,
    }
    others = {key: value for key, value in claims.items() if key != name}
    payload = json.dumps(others)[:-1] + f', "{name}": {literal.format(**values)}}}'
    return jwt.PyJWS().encode(payload.encode(), secret, algorithm="HS256")


@pytest.mark.parametrize("case", ABSURD_CLAIMS)
def test_a_signed_token_with_claims_never_issued_is_refused(prod_client, account, secret, case):
    name, literal = ABSURD_CLAIMS[case]
    token = signed_with_raw_claim(claims_of(account.access_token, secret), secret, name, literal)
    response = call(prod_client, "GET", "/incomes", token=token)
    assert_problem(response, 401, "Unauthorized", CLAIMS)
    assert response.headers["WWW-Authenticate"] == INVALID


def test_the_absurd_literals_reach_the_server_as_written(account, secret):
    """PyJWT's JSON reading of the hand-written payloads: inf, and a 401-digit int."""
    claims = claims_of(account.access_token, secret)
    for case, expected in [("exp 1e400", float("inf")), ("exp 10^400 as digits", 10**400)]:
        token = signed_with_raw_claim(claims, secret, *ABSURD_CLAIMS[case])
        assert jwt.decode(token, options={"verify_signature": False})["exp"] == expected


def test_a_token_at_the_edges_of_what_is_issued_is_accepted(prod_client, account, secret):
    """The real token's own claims, and `exp` at exactly iat + the access lifetime."""
    claims = claims_of(account.access_token, secret)
    assert claims["exp"] - claims["iat"] == 15 * 60
    token = signed_with_raw_claim(claims, secret, "exp", str(claims["iat"] + 15 * 60))
    response = call(prod_client, "GET", "/incomes", token=token)
    assert (response.status_code, response.get_json()) == (200, [])


def test_a_refresh_token_may_live_as_long_as_its_session(prod_client, account, secret):
    claims = claims_of(account.refresh_token, secret)
    assert claims["exp"] - claims["iat"] <= 30 * 24 * 3600
    too_long = signed_with_raw_claim(claims, secret, "exp", str(claims["iat"] + 30 * 24 * 3600 + 1))
    response = prod_client.post("/auth/refresh", headers={"Authorization": f"Bearer {too_long}"})
    assert_problem(response, 401, "Unauthorized", CLAIMS)
    assert response.headers["WWW-Authenticate"] == INVALID


@pytest.mark.parametrize(
    ("error", "detail"),
    [
        (
            jwt.InvalidSignatureError("worded otherwise by a new PyJWT"),
            TOKEN_CASES["bad signature"][1],
        ),
        (jwt.InvalidAlgorithmError("Algorithm not specified"), TOKEN_CASES["alg none"][1]),
        (jwt.ExpiredSignatureError("worded otherwise"), "The token has expired."),
        (jwt.DecodeError("Invalid header padding"), "The token is invalid."),
        (jwt.ImmatureSignatureError("The token is not yet valid (nbf)"), "The token is invalid."),
        (type("NewInAnUpgrade", (jwt.InvalidTokenError,), {})("?"), "The token is invalid."),
    ],
)
def test_a_refusal_is_answered_by_its_class_not_its_wording(another_app, error, detail):
    """The reason a client reads is keyed on PyJWT's exception class: an upgrade that rewords a
    message (or adds a class under InvalidTokenError) does not change or lose it."""
    app = another_app(testing=False)

    @app.get("/raises")
    def raises():
        raise error

    response = app.test_client().get("/raises")
    assert_problem(response, 401, "Unauthorized", detail)
    assert response.headers["WWW-Authenticate"] == INVALID


def test_every_token_exception_is_answered_by_cashman_not_flask_jwt_extended(prod_app):
    """flask-jwt-extended registers a handler per exception class in `init_app`; each one is
    replaced, so no refusal gets its `{"msg": ...}` body."""
    handlers = prod_app.error_handler_spec[None][None]
    assert {error.__module__.split(".")[0] for error in handlers} >= {"jwt", "flask_jwt_extended"}
    assert {handler.__module__ for handler in handlers.values()} == {"cashman.errors"}
