"""The requests tests/perf/record.py records: every route, with its successes and its errors.

Fixed and deterministic: the same requests in the same order on every run, with the client's
own ids, dates and keys written here. Each user has a part of the script of their own, so the
versions and lists of one part do not depend on another. Labels name each request; a change of
behaviour shows up as a change of the entry under the same label.
"""

import base64
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jwt
import simplejson

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a longer passphrase"
OTHER_KEY = "another-secret-that-is-long-enough-for-every-hmac-0123456789abcdef"
SOME_ID = "0192f1f4-7d3a-7cc0-8a4e-1d6b8c2f3e4a"  # no row has it
MIB = 1024 * 1024
MISSING = object()


def fixed_id(n: int) -> str:
    """The client's own id number n (a v7-shaped UUID written into the script)."""
    return f"0199c0de-0000-7000-8000-{n:012x}"


@dataclass
class User:
    name: str
    id: str
    access: str
    refresh: str
    session: str


class Script:
    """Shorthands over the recorder: a bearer token, a JSON or raw body, one test client."""

    def __init__(self, recorder) -> None:
        self.rec = recorder
        self.api = recorder.client()
        self.web = recorder.client(web=True)  # the app serving a browser app's origin
        self.secret = recorder.app.config["JWT_SECRET_KEY"]

    def call(
        self,
        label: str,
        method: str,
        path: str,
        user: User | None = None,
        body: Any = MISSING,
        raw: bytes | str | None = None,
        content_type: str | None = None,
        headers: dict | None = None,
        token: str | None = None,
        client=None,
        chunked: bool = False,
    ):
        """One request; `chunked` sends `raw` without a Content-Length, as a chunked body
        reaches the app from gunicorn."""
        headers = dict(headers or {})
        bearer = token or (user.access if user else None)
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        options: dict[str, Any] = {"headers": headers}
        if body is not MISSING:
            options["json"] = body
        elif chunked:
            options["input_stream"] = io.BytesIO(raw.encode() if isinstance(raw, str) else raw)
            options["environ_overrides"] = {"wsgi.input_terminated": True}
            headers["Transfer-Encoding"] = "chunked"
        elif raw is not None:
            options["data"] = raw
        if content_type:
            options["content_type"] = content_type
        return self.rec.send(client or self.api, label, method, path, **options)

    def get(self, label: str, path: str, user: User | None = None, **options: Any):
        return self.call(label, "GET", path, user, **options)

    def post(self, label: str, path: str, user: User | None = None, body: Any = MISSING, **o):
        return self.call(label, "POST", path, user, body, **o)

    def patch(self, label: str, path: str, user: User | None = None, body: Any = MISSING, **o):
        return self.call(label, "PATCH", path, user, body, **o)

    def put(self, label: str, path: str, user: User | None = None, body: Any = MISSING, **o):
        return self.call(label, "PUT", path, user, body, **o)

    def delete(self, label: str, path: str, user: User | None = None, **options: Any):
        return self.call(label, "DELETE", path, user, **options)

    # Accounts

    def register(self, name: str, label: str | None = None) -> str:
        body = {"username": name, "password": PASSWORD}
        answer = self.post(label or f"register {name}", "/auth/register", body=body)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        self.rec.name(answer.get_json()["id"], f"user:{name}")
        return answer.get_json()["id"]

    def login(self, name: str, label: str, password: str = PASSWORD, **fields: Any) -> User:
        body = {"username": name, "password": password, **fields}
        answer = self.post(label, "/auth/login", body=body)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        tokens = answer.get_json()
        self.rec.name(tokens["session_id"], f"session:{label}")
        user_id = self.claims(tokens["access_token"])["sub"]
        return User(
            name, user_id, tokens["access_token"], tokens["refresh_token"], tokens["session_id"]
        )

    def account(self, name: str) -> User:
        self.register(name)
        return self.login(name, f"login {name}", device=f"{name}'s phone")

    def claims(self, token: str) -> dict[str, Any]:
        return jwt.decode(token, self.secret, algorithms=["HS256"])

    def forge(self, token: str, key: str | None = None, algorithm: str = "HS256", **changes):
        """A token with the claims of `token` changed (a None removes one), signed with `key`."""
        claims = {**self.claims(token), **changes}
        claims = {name: value for name, value in claims.items() if value is not None}
        if algorithm == "none":
            header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=")
            payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
            return f"{header.decode()}.{payload.decode()}."
        return jwt.encode(claims, key or self.secret, algorithm=algorithm)

    def check_totals(self, user: User, label: str) -> None:
        """GET /balance, and whether it is what the user's rows add up to (the running totals
        kept by every write)."""
        rows = self.get(f"{label}: the rows", "/transactions?limit=500", user)
        totals = self.get(label, "/balance", user)
        amounts = [row["amount"] for row in simplejson.loads(rows.get_data(), use_decimal=True)]
        income = sum((a for a in amounts if a > 0), Decimal(0))
        expenses = sum((a for a in amounts if a < 0), Decimal(0))
        stored = simplejson.loads(totals.get_data(), use_decimal=True)
        self.rec.fact(
            "the totals of the rows",
            [stored["income"], stored["expenses"], stored["count"]]
            == [income, expenses, len(amounts)],
        )

    # Rows

    def add_rows(self, user: User, rows: list[tuple]) -> None:
        """Create rows of (collection, date, amount, category, description), named
        "<user> 1" and on."""
        for n, (collection, day, amount, category, text) in enumerate(rows, start=1):
            fields = {"description": text, "amount": amount, "category": category, "date": day}
            self.add(user, f"{user.name}'s row {n}", collection, f"{user.name} {n}", **fields)

    def add(self, user: User, label: str, collection: str, name: str | None = None, **fields):
        """Create a row that must be created; name its id `name` in the recording."""
        answer = self.post(label, f"/{collection}", user, fields)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        row = answer.get_json()
        if name:
            self.rec.name(row["id"], f"row:{name}")
        return row


def run_scenario(recorder) -> None:
    """Every part of the script, in order."""
    s = Script(recorder)
    public_routes(s)
    http_errors(s)
    registration(s)
    logins(s)
    token_problems(s)
    transactions(s)
    lists_and_exports(s)
    insights_and_plans(s)
    sync(s)
    imports(s)
    sessions_and_passwords(s)
    refresh_and_logout(s)
    browser_cookies(s)
    account_deletion(s)


def public_routes(s: Script) -> None:
    for path in ("/health", "/health/", "/health/ready", "/health/ready/"):
        s.get(f"GET {path}", path)
    s.call("HEAD /health", "HEAD", "/health")
    s.call("OPTIONS /health", "OPTIONS", "/health")
    for path in ("/.well-known/jwks.json", "/.well-known/jwks.json/"):
        s.get(f"GET {path}", path)
    for path in ("/openapi.json", "/openapi.json/"):
        s.get(f"GET {path}", path)
    for path in ("/docs", "/docs/", "/docs/index.html", "/docs/swagger-ui.css"):
        s.get(f"GET {path}", path)
    s.get("GET /docs/swagger-ui-bundle.js", "/docs/swagger-ui-bundle.js")
    s.get("GET /docs/ an absent file", "/docs/nothing-here.js")
    s.get("request id sent is echoed", "/health", headers={"X-Request-ID": "rec-0001.A_b"})
    s.get("request id sent is invalid", "/health", headers={"X-Request-ID": "not valid!"})
    origin = {"Origin": "https://app.example"}
    s.get("CORS off: a read with an Origin", "/health", headers=origin)
    s.get("CORS: a read from the allowed origin", "/health", headers=origin, client=s.web)
    s.get("CORS: a read without an Origin", "/health", client=s.web)
    evil = {"Origin": "https://evil.example"}
    s.get("CORS: a read from another origin", "/health", headers=evil, client=s.web)
    s.get(
        "CORS: the JWKS from the allowed origin",
        "/.well-known/jwks.json",
        headers=origin,
        client=s.web,
    )
    s.get("CORS: a protected read without a token", "/incomes", headers=origin, client=s.web)
    preflight = {
        **origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key",
    }
    s.call("CORS off: a preflight", "OPTIONS", "/incomes", headers=preflight)
    for label, headers in [
        ("from the allowed origin", preflight),
        ("from another origin", {**preflight, **evil}),
        ("of a header not allowed", {**preflight, "Access-Control-Request-Headers": "X-Secret"}),
        ("of PATCH on an item", {**preflight, "Access-Control-Request-Method": "PATCH"}),
    ]:
        path = f"/incomes/{SOME_ID}" if "item" in label else "/incomes"
        s.call(f"CORS: a preflight {label}", "OPTIONS", path, headers=headers, client=s.web)


def http_errors(s: Script) -> None:
    s.get("404: unknown path", "/nope")
    s.get("404: unknown path, Accept-Language de", "/nope", headers={"Accept-Language": "de"})
    s.call("405: in German", "DELETE", "/incomes", headers={"Accept-Language": "de"})
    s.get("404: item id that is an integer", "/incomes/123")
    s.get("404: item id that is garbage", "/expenses/not-a-uuid")
    s.get("404: unknown path under /auth", "/auth/nothing")
    s.get("404: a month that is not one", "/budgets/2025-13")
    for method, path in [
        ("PUT", "/incomes"),
        ("DELETE", "/health"),
        ("POST", "/balance"),
        ("GET", "/auth/login"),
        ("PATCH", "/auth/me"),
        ("POST", "/categories"),
        ("GET", "/categories/Food"),
        ("POST", "/budgets/2025-11"),
        ("PUT", "/transactions/import"),
        ("POST", "/openapi.json"),
    ]:
        s.call(f"405: {method} {path}", method, path)
    s.get("414: a URL over 4096 bytes", "/health?q=" + "x" * 4100)
    many = {f"X-Extra-{n}": "1" for n in range(101)}
    s.get("431: more than 100 headers", "/health", headers=many)
    s.get("431: a header line over 8190 bytes", "/health", headers={"X-Big": "y" * 8200})


def registration(s: Script) -> None:
    s.register("alice")
    s.register("bob")
    body = {"username": "grace", "password": PASSWORD}
    answer = s.post("register with a trailing slash", "/auth/register/", body=body)
    s.rec.name(answer.get_json()["id"], "user:grace")
    s.post(
        "register a taken name", "/auth/register", body={"username": "alice", "password": PASSWORD}
    )
    s.post(
        "register a taken name in another case",
        "/auth/register",
        body={"username": "ALICE", "password": PASSWORD},
    )
    for label, body in [
        ("register: name too short", {"username": "al", "password": PASSWORD}),
        ("register: name with a space", {"username": "bad name", "password": PASSWORD}),
        ("register: name of 65 characters", {"username": "n" * 65, "password": PASSWORD}),
        ("register: password too short", {"username": "shorty", "password": "1234567"}),
        ("register: password of 129 characters", {"username": "longpw", "password": "p" * 129}),
        ("register: missing fields", {}),
        ("register: unknown field", {"username": "x1y2z3", "password": PASSWORD, "admin": True}),
        ("register: not strings", {"username": 7, "password": ["x"]}),
        ("register: a JSON array", ["alice", PASSWORD]),
        ("register: a NUL in the name", {"username": "nul\u0000name", "password": PASSWORD}),
    ]:
        s.post(label, "/auth/register", body=body)
    for language in ("de", "pt-BR", "es", "fr, de;q=0.5", "fr"):
        s.post(
            f"register: invalid, Accept-Language {language}",
            "/auth/register",
            body={"username": "a", "password": "x"},
            headers={"Accept-Language": language},
        )
    s.post("register: no body, no media type", "/auth/register")
    s.post("register: text/plain", "/auth/register", raw="username=x", content_type="text/plain")
    s.post("register: invalid JSON", "/auth/register", raw="{", content_type="application/json")
    s.post(
        "register: a repeated key",
        "/auth/register",
        raw='{"username": "dup", "username": "dup2", "password": "correct horse battery"}',
        content_type="application/json",
    )
    s.post(
        "register: a body over 1 MiB",
        "/auth/register",
        raw=b'{"username": "' + b"u" * MIB + b'"}',
        content_type="application/json",
    )


def logins(s: Script) -> None:
    s.login("alice", "login alice with a device", device="Pixel 8")
    s.login("ALICE", "login alice in upper case, no device")
    answer = s.post(
        "login, trailing slash", "/auth/login/", body={"username": "bob", "password": PASSWORD}
    )
    s.rec.name(answer.get_json()["session_id"], "session:trailing slash")
    answer = s.post(
        "login alice with an empty User-Agent",
        "/auth/login",
        body={"username": "alice", "password": PASSWORD},
        headers={"User-Agent": ""},
    )
    s.rec.name(answer.get_json()["session_id"], "session:empty user agent")
    # A user of their own: a failed login counts for 60 s against later answers' RateLimit-*.
    s.register("wanda")
    s.post(
        "login: wrong password", "/auth/login", body={"username": "wanda", "password": "nope nope"}
    )
    s.post("login: unknown user", "/auth/login", body={"username": "nobody", "password": PASSWORD})
    s.post("login: missing fields", "/auth/login", body={})
    s.post(
        "login: device of 101 characters",
        "/auth/login",
        body={"username": "bob", "password": PASSWORD, "device": "d" * 101},
    )
    s.post(
        "login: blank device",
        "/auth/login",
        body={"username": "bob", "password": PASSWORD, "device": "   "},
    )
    s.post(
        "login: cookies not a boolean",
        "/auth/login",
        body={"username": "bob", "password": PASSWORD, "cookies": "maybe"},
    )
    s.register("frank")
    for n in range(1, 6):
        s.post(
            f"lockout: wrong password {n}",
            "/auth/login",
            body={"username": "frank", "password": "wrong password"},
        )
    s.post(
        "lockout: sixth wrong password",
        "/auth/login",
        body={"username": "Frank", "password": "wrong password"},
    )
    s.post(
        "lockout: the right password while locked",
        "/auth/login",
        body={"username": "frank", "password": PASSWORD},
    )


def token_problems(s: Script) -> None:
    user = s.login("alice", "login alice for token checks")
    forged = {
        "bad signature": s.forge(user.access, OTHER_KEY),
        "alg none": s.forge(user.access, algorithm="none"),
        "HS512": s.forge(user.access, algorithm="HS512"),
        "expired": s.forge(user.access, exp=1_700_000_060, iat=1_700_000_000, nbf=1_700_000_000),
        "not yet valid": s.forge(user.access, nbf=4_000_000_000),
        "subject not a UUID": s.forge(user.access, sub="alice"),
        "subject in upper case": s.forge(user.access, sub=user.id.upper()),
        "subject of another user": s.forge(user.access, sub=SOME_ID),
        "unknown session": s.forge(user.access, sid="0" * 32),
        "no session claim": s.forge(user.access, sid=None),
        "integer subject": s.forge(user.access, sub=7),
        "no expiry": s.forge(user.access, exp=None),
        "no issued-at": s.forge(user.access, iat=None),
        "no token id": s.forge(user.access, jti=None),
        "no type": s.forge(user.access, type=None),
        "unknown type": s.forge(user.access, type="admin"),
        "no subject": s.forge(user.access, sub=None),
        "absurd expiry 2**80": s.forge(user.access, exp=2**80),
        "absurd issued-at 2**80": s.forge(user.access, iat=2**80),
        "absurd not-before 2**80": s.forge(user.access, nbf=-(2**80)),
        "refresh token as access token": user.refresh,
        "garbage": "abc",
        "three garbage segments": "a.b.c",
    }
    for name, token in forged.items():
        s.get(f"token: {name}", "/incomes", token=token)
    s.get("token: none", "/incomes")
    for name, header in [
        ("scheme only", "Bearer"),
        ("Basic scheme", "Basic YWxpY2U6cHc="),
        ("two tokens", f"Bearer {user.access} {user.access}"),
        ("lower-case scheme", f"bearer {user.access}"),
        ("upper-case scheme", f"BEARER {user.access}"),
    ]:
        s.get(f"authorization: {name}", "/incomes", headers={"Authorization": header})
    s.post("token: access token to /auth/refresh", "/auth/refresh", user)
    s.get("token: none, Accept-Language de", "/incomes", headers={"Accept-Language": "de"})


def transactions(s: Script) -> None:
    alice = s.login("alice", "login alice for transactions")
    bob = s.login("bob", "login bob for transactions")
    salary = s.add(
        alice,
        "create an income",
        "incomes",
        "salary",
        description="Salary",
        amount="3000.00",
        category="Work",
        date="2025-11-01",
    )
    s.add(
        alice,
        "create an income, trailing slash",
        "incomes/",
        "bonus",
        description="Bonus",
        amount=250,
        date="2025-11-02",
    )
    s.add(
        alice, "create an income with today's date", "incomes", "tip", description="Tip", amount=1
    )
    pizza = s.add(
        alice,
        "create an expense (stored negative)",
        "expenses",
        "pizza",
        description="  Pizza  ",
        amount=50,
        category="Food",
        date="2025-11-03",
    )
    s.add(
        alice,
        "create an expense with a negative amount and non-ASCII text",
        "expenses",
        "cafe",
        description="Café crème",
        amount="-3.20",
        category="Café",
        date="2025-11-03",
    )
    s.add(
        alice,
        "create an expense with a formula description, trailing slash",
        "expenses/",
        "formula",
        description="=SUM(A1:A9)",
        amount="0.01",
        category="-risky",
        date="2025-10-31",
    )
    client_id = fixed_id(1)
    s.rec.name(client_id, "row:client id")
    body = {"id": client_id.upper(), "description": "Rent", "amount": "800", "date": "2025-11-05"}
    s.post("create with the client's id, in upper case", "/expenses", alice, body)
    s.post("retried create with the client's id", "/expenses", alice, {**body, "id": client_id})
    s.post(
        "create with the client's id, other content", "/expenses", alice, {**body, "amount": 801}
    )
    s.post("create with the client's id, as the other kind", "/incomes", alice, body)
    s.post("bob creates under alice's id", "/expenses", bob, body)
    idempotency(s, alice)
    invalid_bodies(s, alice)
    items(s, alice, bob, salary, pizza)


def idempotency(s: Script, alice: User) -> None:
    key = {"Idempotency-Key": "3f0c6c1e-5d8b-4c1e-9a55-0f1f0e6a1b2c"}
    body = {"description": "Gift", "amount": "20.00", "date": "2025-11-04"}
    answer = s.post("Idempotency-Key: first create", "/incomes", alice, body, headers=key)
    s.rec.name(answer.get_json()["id"], "row:gift")
    s.post(
        "Idempotency-Key: replay, keys reordered and respaced",
        "/incomes",
        alice,
        raw='{"date":"2025-11-04",  "amount": "20.00","description":"Gift"}',
        content_type="application/json",
        headers=key,
    )
    s.post("Idempotency-Key: other body", "/incomes", alice, {**body, "amount": 21}, headers=key)
    s.post("Idempotency-Key: other kind's path", "/expenses", alice, body, headers=key)
    s.post("Idempotency-Key: same key, bad body", "/incomes", alice, {"amount": 1}, headers=key)
    s.post(
        "Idempotency-Key: with a client id, replayed",
        "/incomes",
        alice,
        {**body, "id": fixed_id(2)},
        headers={"Idempotency-Key": "with-an-id"},
    )
    s.rec.name(fixed_id(2), "row:keyed client id")
    s.post(
        "Idempotency-Key: with a client id, replayed #2",
        "/incomes",
        alice,
        {**body, "id": fixed_id(2)},
        headers={"Idempotency-Key": "with-an-id"},
    )
    for label, value in [
        ("empty", ""),
        ("256 characters", "k" * 256),
        ("non-ASCII", "clé"),
        ("leading space", " key"),
    ]:
        s.post(
            f"Idempotency-Key: {label}", "/incomes", alice, body, headers={"Idempotency-Key": value}
        )
    s.post(
        "Idempotency-Key: 255 characters",
        "/incomes",
        alice,
        {**body, "description": "Long key"},
        headers={"Idempotency-Key": "k" * 255},
    )


def invalid_bodies(s: Script, alice: User) -> None:
    good = {"description": "Thing", "amount": 1}
    for label, body in [
        ("amount not a number", {**good, "amount": "abc"}),
        ("amount with 3 decimals", {**good, "amount": 1.005}),
        ("amount zero", {**good, "amount": 0}),
        ("amount a boolean", {**good, "amount": True}),
        ("amount with an exponent in a string", {**good, "amount": "1e3"}),
        ("amount padded", {**good, "amount": " 1"}),
        ("amount over the maximum", {**good, "amount": "1000000000000.01"}),
        ("amount null", {**good, "amount": None}),
        ("negative income", {**good, "amount": -5}),
        ("missing description and amount", {}),
        ("blank description", {**good, "description": "   "}),
        ("description of 256 characters", {**good, "description": "d" * 256}),
        ("NUL in the description", {**good, "description": "a\u0000b"}),
        ("category of 65 characters", {**good, "category": "c" * 65}),
        ("blank category", {**good, "category": "  "}),
        ("unknown field", {**good, "colour": "red"}),
        ("read-only fields", {**good, "type": "INCOME", "version": 3, "created_at": "x"}),
        ("id not a UUID", {**good, "id": "123"}),
        ("id in braces", {**good, "id": "{" + SOME_ID + "}"}),
        ("id null", {**good, "id": None}),
        ("date compact", {**good, "date": "20250101"}),
        ("week date", {**good, "date": "2025-W01-1"}),
        ("date not real", {**good, "date": "2025-02-30"}),
        ("a JSON array", [good]),
        ("a JSON string", "hello"),
    ]:
        s.post(f"422 on create: {label}", "/incomes", alice, body)
    raw_bodies = [
        ("amount 1e1000000", '{"description": "Big", "amount": 1e1000000}'),
        (
            "amount 1.500 (trailing zeros)",
            '{"description": "Zeros", "amount": 1.500, "date": "2025-09-01"}',
        ),
        ("an unpaired surrogate", '{"description": "\\udfff", "amount": 1}'),
        ("NaN", '{"description": "x", "amount": NaN}'),
        ("invalid JSON", '{"description": '),
        ("a repeated key", '{"description": "x", "amount": 1, "amount": 1000}'),
        ("nested beyond the recursion limit", "[" * 100_000 + "]" * 100_000),
    ]
    for label, raw in raw_bodies:
        s.post(f"create: {label}", "/incomes", alice, raw=raw, content_type="application/json")
    s.post("415 on create: text/plain", "/incomes", alice, raw="x", content_type="text/plain")
    s.post("415 on create: no media type", "/incomes", alice, raw='{"a": 1}')
    s.post(
        "415 on create: application/json-seq",
        "/incomes",
        alice,
        raw="{}",
        content_type="application/json-seq",
    )
    s.post(
        "create: JSON with a charset",
        "/incomes",
        alice,
        raw='{"description": "Charset", "amount": 2, "date": "2025-09-02"}',
        content_type="application/json; charset=utf-8",
    )
    s.post(
        "413 on create: a body over 1 MiB",
        "/incomes",
        alice,
        raw=b'{"description": "' + b"x" * MIB + b'", "amount": 1}',
        content_type="application/json",
    )
    chunked = '{"description": "Chunked", "amount": 3, "date": "2025-09-03"}'
    s.post(
        "create: a chunked body",
        "/incomes",
        alice,
        raw=chunked,
        content_type="application/json",
        chunked=True,
    )
    s.post(
        "413 on create: a chunked body over 1 MiB",
        "/incomes",
        alice,
        raw=b'{"description": "' + b"x" * MIB + b'", "amount": 1}',
        content_type="application/json",
        chunked=True,
    )
    s.post(
        "create: Accept-Language de, invalid amount",
        "/expenses",
        alice,
        {"description": "Pizza", "amount": "abc"},
        headers={"Accept-Language": "de"},
    )


def items(s: Script, alice: User, bob: User, salary: dict, pizza: dict) -> None:
    salary_path, pizza_path = f"/incomes/{salary['id']}", f"/expenses/{pizza['id']}"
    first = s.get("read an income", salary_path, alice)
    etag = first.headers["ETag"]
    s.get("read an income, trailing slash", salary_path + "/", alice)
    s.get(
        "read an income, id in upper case",
        salary_path.upper().replace("/INCOMES", "/incomes"),
        alice,
    )
    s.call("HEAD an income", "HEAD", salary_path, alice)
    s.get("If-None-Match: its ETag", salary_path, alice, headers={"If-None-Match": etag})
    s.get("If-None-Match: weak form", salary_path, alice, headers={"If-None-Match": f"W/{etag}"})
    s.get("If-None-Match: *", salary_path, alice, headers={"If-None-Match": "*"})
    s.get("If-None-Match: another", salary_path, alice, headers={"If-None-Match": '"other"'})
    s.get("read an income as an expense", f"/expenses/{salary['id']}", alice)
    s.get("read an absent income", f"/incomes/{SOME_ID}", alice)
    s.get("bob reads alice's income", salary_path, bob)
    s.patch("bob patches alice's income", salary_path, bob, {"amount": 1})
    s.delete("bob deletes alice's income", salary_path, bob)
    s.patch("patch an income's amount", salary_path + "/", alice, {"amount": "3100.00"})
    before = s.get("read the patched income", salary_path, alice)
    after = s.patch("patch that changes nothing", salary_path, alice, {"amount": 3100})
    s.rec.fact(
        "updated_at and version unchanged",
        [before.get_json()[k] for k in ("updated_at", "version")]
        == [after.get_json()[k] for k in ("updated_at", "version")],
    )
    s.patch("patch with an empty body", salary_path, alice, {})
    s.patch("If-Match: stale ETag", salary_path, alice, {"amount": 1}, headers={"If-Match": etag})
    current = before.headers["ETag"]
    s.patch(
        "If-Match: current ETag",
        salary_path,
        alice,
        {"category": None, "description": " Salary Nov "},
        headers={"If-Match": current},
    )
    s.patch("If-Match: *", salary_path, alice, {"date": "2025-11-02"}, headers={"If-Match": "*"})
    s.patch(
        "If-Match: weak ETag",
        salary_path,
        alice,
        {"amount": 2},
        headers={"If-Match": f"W/{current}"},
    )
    for label, body in [
        ("id (read-only)", {"id": SOME_ID}),
        ("type (read-only)", {"type": "EXPENSE"}),
        ("bad amount", {"amount": "1.001"}),
        ("null description", {"description": None}),
        ("unknown field", {"colour": "red"}),
    ]:
        s.patch(f"422 on patch: {label}", salary_path, alice, body)
    s.patch("patch an expense with a positive amount", pizza_path, alice, {"amount": 55.9})
    s.patch("patch an income as an expense", f"/expenses/{salary['id']}", alice, {"amount": 1})
    s.patch("patch an absent row", f"/incomes/{SOME_ID}", alice, {"amount": 1})
    s.patch("415 on patch", salary_path, alice, raw="amount=1", content_type="text/plain")
    s.patch(
        "400 on patch: invalid JSON", salary_path, alice, raw="{", content_type="application/json"
    )
    stale = s.get("read the expense", pizza_path, alice).headers["ETag"]
    s.get("read the expense, trailing slash", pizza_path + "/", alice)
    s.patch("patch the expense", pizza_path + "/", alice, {"category": "Dining"})
    s.delete("DELETE If-Match: stale", pizza_path, alice, headers={"If-Match": stale})
    s.delete("delete an expense as an income", f"/incomes/{pizza['id']}", alice)
    s.delete("delete an expense", pizza_path + "/", alice)
    s.delete("delete it again", pizza_path, alice)
    s.get("read the deleted expense", pizza_path, alice)
    s.delete(
        "delete with If-Match: * on an absent row",
        f"/expenses/{SOME_ID}",
        alice,
        headers={"If-Match": "*"},
    )
    gift_key = {"Idempotency-Key": "3f0c6c1e-5d8b-4c1e-9a55-0f1f0e6a1b2c"}
    gift = {"description": "Gift", "amount": "20.00", "date": "2025-11-04"}
    answer = s.post(
        "Idempotency-Key: replay before the row changes", "/incomes", alice, gift, headers=gift_key
    )
    gift_path = answer.headers["Location"]
    s.patch("patch the keyed row", gift_path, alice, {"amount": 25})
    s.post(
        "Idempotency-Key: replay after the row changed", "/incomes", alice, gift, headers=gift_key
    )
    s.delete("delete the keyed row", gift_path + "/", alice)
    s.post(
        "Idempotency-Key: replay after the row was deleted",
        "/incomes",
        alice,
        gift,
        headers=gift_key,
    )
    s.delete("delete the client-id row", f"/expenses/{fixed_id(1)}", alice)
    rent = {"id": fixed_id(1), "description": "Rent", "amount": "800", "date": "2025-11-05"}
    s.post("create with a deleted row's client id", "/expenses", alice, rent)
    s.call("OPTIONS an item", "OPTIONS", salary_path)
    # The running totals and the feed after every kind of write above.
    s.check_totals(alice, "alice's balance after her writes")
    s.get("alice's summary by category after her writes", "/summary?group=category", alice)
    s.get("bob's balance", "/balance", bob)


def lists_and_exports(s: Script) -> None:
    pat = s.account("pat")
    s.add_rows(
        pat,
        [
            ("incomes", "2025-10-01", "1000", "Work", "Salary October"),
            ("expenses", "2025-10-02", "12.50", "Food", "Groceries 100% organic"),
            ("expenses", "2025-10-02", "7.25", "Food", "Lunch_special"),
            ("expenses", "2025-10-03", "30", None, "ÉCOLE fees"),
            ("incomes", "2025-10-03", "5.55", "Gifts", "Gift from Straße"),
            ("expenses", "2025-10-04", "2", "Food", "Coffee"),
            ("expenses", "2025-10-05", "99.99", "Travel", 'Train, "first" class\nreturn'),
            ("incomes", "2025-10-05", "0.10", None, "Interest"),
        ],
    )
    page = s.get("list expenses, 2 a page", "/expenses?limit=2", pat)
    pages = 1
    while "Link" in page.headers:
        pages += 1
        url = page.headers["Link"].split(">")[0].lstrip("<").removeprefix("http://localhost")
        page = s.get(f"list expenses, 2 a page: page {pages}", url, pat)
    s.get("list expenses, trailing slash", "/expenses/", pat)
    s.get("list incomes", "/incomes", pat)
    s.get("list incomes, trailing slash", "/incomes/", pat)
    s.call("HEAD list incomes", "HEAD", "/incomes", pat)
    page = s.get("transactions, 3 a page", "/transactions?limit=3&q=o", pat)
    url = page.headers["Link"].split(">")[0].lstrip("<")
    s.get("transactions, 3 a page: the next", url.removeprefix("http://localhost"), pat)
    for label, query in [
        ("type=income", "type=income"),
        ("type=expense", "type=expense"),
        ("type=INCOME", "type=INCOME"),
        ("type=Expense", "type=Expense"),
        ("type=loan", "type=loan"),
        ("from and to", "from=2025-10-02&to=2025-10-03"),
        ("category", "category=Food"),
        ("q in another case", "q=salary"),
        ("q with %", "q=100%25"),
        ("q with _", "q=h_s"),
        ("q casefold école", "q=%C3%A9cole"),
        ("q casefold strasse", "q=strasse"),
        ("from after to", "from=2025-10-05&to=2025-10-01"),
        ("limit 0", "limit=0"),
        ("limit 501", "limit=501"),
        ("limit not a number", "limit=many"),
        ("bad cursor", "cursor=abc"),
        ("bad date", "from=2025-1-1"),
        ("blank category", "category="),
        ("NUL in q", "q=%00"),
        ("every parameter bad", "limit=0&from=x&to=y&cursor=z&type=t"),
        ("unknown parameter", "colour=red"),
    ]:
        s.get(f"transactions: {label}", f"/transactions?{query}", pat)
    s.get("transactions, trailing slash", "/transactions/", pat)
    s.get("transactions as CSV by Accept", "/transactions", pat, headers={"Accept": "text/csv"})
    s.get(
        "transactions as JSON by Accept preference",
        "/transactions?limit=1",
        pat,
        headers={"Accept": "text/csv;q=0.5, application/json"},
    )
    s.get("export CSV", "/transactions.csv", pat)
    s.call("HEAD export CSV", "HEAD", "/transactions.csv", pat)
    s.get("export CSV, trailing slash", "/transactions.csv/?type=income", pat)
    s.get("export CSV, filtered", "/transactions.csv?from=2025-10-02&category=Food&q=UN", pat)
    s.get("export CSV, limit and cursor do not apply", "/transactions.csv?limit=1&cursor=x", pat)
    s.get("export CSV, bad filter", "/transactions.csv?to=never", pat)
    s.get("export CSV, type=INCOME", "/transactions.csv?type=INCOME", pat)
    s.get("export CSV of alice", "/transactions.csv", s.login("alice", "login alice for export"))
    s.get("list expenses, filtered", "/expenses?category=Food&from=2025-10-02&limit=1", pat)
    s.get("list incomes, bad limit", "/incomes?limit=-1", pat)


def insights_and_plans(s: Script) -> None:
    bea = s.account("bea")
    s.get("balance with no rows", "/balance", bea)
    s.get("summary with no rows", "/summary?group=month", bea)
    s.get("categories with no rows", "/categories", bea)
    s.add_rows(
        bea,
        [
            ("expenses", "2025-11-04", "7.50", "Food", "Lunch"),
            ("expenses", "2025-11-05", "5.10", "Food", "Dinner"),
            ("incomes", "2025-11-06", "5", "Food", "Refund"),
            ("expenses", "2025-11-07", "3.50", "Café", "Latte"),
            ("expenses", "2025-11-08", "3.50", "Café", "Tea"),
            ("expenses", "2025-11-09", "7.25", None, "Stamp"),
            ("expenses", "2025-10-09", "12", "Books", "Book"),
            ("expenses", "2025-11-10", "1", "Food/Drink", "Water"),
            ("incomes", "2025-10-01", "0.10", None, "Cent"),
            ("incomes", "2025-10-02", "0.20", None, "Cents"),
        ],
    )
    for label, path in [
        ("balance", "/balance"),
        ("balance, trailing slash", "/balance/"),
        ("balance of November", "/balance?from=2025-11-01&to=2025-11-30"),
        ("balance of Food", "/balance?category=Food"),
        ("balance, bad from", "/balance?from=yesterday"),
        ("balance, from after to", "/balance?from=2025-12-01&to=2025-11-01"),
        ("balance, category of 65", "/balance?category=" + "c" * 65),
        ("summary by month", "/summary?group=month"),
        ("summary by month, trailing slash", "/summary/?group=month"),
        ("summary by category", "/summary?group=category"),
        ("summary by category from November", "/summary?group=category&from=2025-11-01"),
        ("summary without group", "/summary"),
        ("summary by year", "/summary?group=year"),
        ("summary by MONTH", "/summary?group=MONTH"),
        ("categories", "/categories"),
        ("categories, trailing slash", "/categories/"),
    ]:
        s.get(label, path, bea)
    budgets(s, bea)


def budgets(s: Script, bea: User) -> None:
    month = "/budgets/2025-11"
    for label, name, body in [
        ("set a budget", "Food", {"amount": 300}),
        ("replace a budget", "Food", {"amount": "250.50"}),
        ("set a budget no row uses", "Travel", {"amount": 100}),
        ("set a budget, encoded name", "Caf%C3%A9", {"amount": 20}),
        ("set a budget, another", "Groceries", {"amount": "40"}),
        ("set a budget, name with a line feed", "Line%0Afeed", {"amount": 1}),
        ("set a budget, name with spaces around", "%20Books%20", {"amount": 15}),
        ("budget: negative amount", "Food", {"amount": -5}),
        ("budget: amount not a number", "Food", {"amount": "abc"}),
        ("budget: 3 decimals", "Food", {"amount": 1.005}),
        ("budget: no amount", "Food", {}),
        ("budget: unknown field", "Food", {"amount": 1, "note": "x"}),
        ("budget: name of 65 characters", "c" * 65, {"amount": 1}),
        ("budget: blank name", "%20%20", {"amount": 1}),
    ]:
        s.put(label, f"{month}/{name}", bea, body)
    s.put("budget: text/plain", f"{month}/Food", bea, raw="1", content_type="text/plain")
    s.put("budget: a month that is not one", "/budgets/2025-13/Food", bea, {"amount": 1})
    s.put("budget: a month written 2025-1", "/budgets/2025-1/Food", bea, {"amount": 1})
    s.get("read a budget", f"{month}/Food", bea)
    s.get("read a budget, encoded name", f"{month}/Caf%C3%A9", bea)
    s.get("read an absent budget", f"{month}/Nothing", bea)
    s.get("read a budget, name of 65 characters", f"{month}/{'c' * 65}", bea)
    s.get("read a budget of a month that is not one", "/budgets/2025-00/Food", bea)
    s.get("month's plan", month, bea)
    s.get("month's plan, trailing slash", month + "/", bea)
    s.get("October's plan", "/budgets/2025-10", bea)
    s.get("an empty month's plan", "/budgets/2024-02", bea)
    s.get("categories with budgets", "/categories", bea)
    knowledge = s.get("bea's sync before renames", "/sync", bea).get_json()["server_knowledge"]
    for label, name, body in [
        ("rename a category", "Caf%C3%A9", {"name": "Coffee"}),
        ("rename into a used name (merge)", "Coffee", {"name": "Groceries"}),
        ("rename, encoded slash, merging", "Food%2FDrink", {"name": " Food "}),
        ("rename a budget-only category", "Travel", {"name": "Trips"}),
        ("rename to itself", "Books", {"name": "Books"}),
        ("rename an absent category", "Nope", {"name": "Other"}),
        ("rename: empty name", "Food", {"name": ""}),
        ("rename: name of 65 characters", "Food", {"name": "n" * 65}),
        ("rename: no name", "Food", {}),
        ("rename: unknown field", "Food", {"name": "X", "colour": "red"}),
        ("rename: null name", "Food", {"name": None}),
        ("rename: a path name of 65 characters", "c" * 65, {"name": "X"}),
    ]:
        s.patch(label, f"/categories/{name}", bea, body)
    s.patch(
        "rename: invalid JSON", "/categories/Food", bea, raw="{", content_type="application/json"
    )
    s.get("categories after renames", "/categories", bea)
    s.get("month's plan after renames", month, bea)
    s.get("bea's sync after renames", f"/sync?since={knowledge}", bea)
    s.delete("delete a budget", f"{month}/Trips", bea)
    s.delete("delete it again", f"{month}/Trips", bea)
    s.get("read the deleted budget", f"{month}/Trips", bea)
    s.delete("delete a budget, name of 65 characters", f"{month}/{'c' * 65}", bea)
    s.get("categories after the delete", "/categories", bea)
    s.get("balance after renames", "/balance?category=Groceries", bea)
    s.check_totals(bea, "bea's balance after renames")


def sync(s: Script) -> None:
    sam = s.account("sam")
    ids = {letter: fixed_id(100 + n) for n, letter in enumerate("ABCDEFGHIXY")}
    for letter, value in ids.items():
        s.rec.name(value, f"sync:{letter}")
    s.get("sync: nothing yet", "/sync", sam)
    first = [
        {
            "op": "upsert",
            "id": ids["A"],
            "type": "INCOME",
            "description": "Salary",
            "amount": "3000",
        },
        {
            "op": "upsert",
            "id": ids["B"].upper(),
            "type": "EXPENSE",
            "description": "Coffee on the train",
            "amount": "3.20",
            "category": "Food",
            "date": "2025-12-02",
        },
        {
            "op": "upsert",
            "id": ids["C"],
            "type": "EXPENSE",
            "description": "Snack",
            "amount": 2,
            "date": "2025-12-01",
        },
        {"op": "delete", "id": ids["D"]},
        {"op": "delete", "id": ids["E"], "base_version": 3},
        {"op": "upsert", "id": ids["F"], "type": "EXPENSE", "description": "Bad", "amount": "abc"},
        {"op": "upsert", "id": ids["G"], "type": "LOAN", "description": "Odd", "amount": 1},
        {
            "op": "upsert",
            "id": ids["H"],
            "type": "INCOME",
            "description": "Gone",
            "amount": 1,
            "base_version": 1,
        },
        {"op": "upsert", "id": ids["I"], "type": "INCOME", "amount": 1, "colour": "red"},
    ]
    s.post("sync batch: creates, unknown deletes, invalid ops", "/sync", sam, {"operations": first})
    s.post("sync batch: the same batch again", "/sync", sam, {"operations": first})
    second = [
        {
            "op": "upsert",
            "id": ids["A"],
            "type": "INCOME",
            "description": "Salary",
            "amount": "3050",
            "base_version": 1,
        },
        {
            "op": "upsert",
            "id": ids["B"],
            "type": "EXPENSE",
            "description": "Coffee",
            "amount": "3.20",
            "base_version": 1,
        },
        {"op": "delete", "id": ids["C"]},
        {
            "op": "upsert",
            "id": ids["B"].replace("0199", "0299"),
            "type": "EXPENSE",
            "description": "New",
            "amount": 4,
        },
    ]
    s.rec.name(ids["B"].replace("0199", "0299"), "sync:B2")
    s.post("sync batch: an update, a conflict, a delete", "/sync", sam, {"operations": second})
    third = [
        {
            "op": "upsert",
            "id": ids["B"],
            "type": "INCOME",
            "description": "Coffee",
            "amount": "3.20",
        },
        {
            "op": "upsert",
            "id": ids["B"],
            "type": "EXPENSE",
            "description": "Coffee on the train",
            "amount": "-3.20",
        },
        {"op": "delete", "id": ids["A"], "base_version": 1},
        {"op": "delete", "id": ids["C"], "base_version": 3},
        {"op": "delete", "id": ids["B"], "base_version": 2},
    ]
    s.post(
        "sync batch: the type kept, stale deletes, a repeated id",
        "/sync",
        sam,
        {"operations": third},
    )
    s.post("sync batch: a repeated id, again", "/sync", sam, {"operations": third})
    s.post(
        "sync batch: a repeated id, again, respaced and reordered",
        "/sync",
        sam,
        raw=json.dumps(
            {"operations": [dict(reversed(list(op.items()))) for op in third]}, indent=3
        ),
        content_type="application/json",
    )
    created_deleted = [
        {
            "op": "upsert",
            "id": ids["X"],
            "type": "EXPENSE",
            "description": "Offline",
            "amount": 1,
            "date": "2025-12-03",
        },
        {"op": "delete", "id": ids["X"]},
    ]
    s.post(
        "sync batch: created then deleted offline", "/sync", sam, {"operations": created_deleted}
    )
    s.post(
        "sync batch: created then deleted offline, again",
        "/sync",
        sam,
        {"operations": created_deleted},
    )
    s.post(
        "sync batch, trailing slash",
        "/sync/",
        sam,
        {"operations": [{"op": "delete", "id": ids["Y"]}]},
    )
    for label, query in [
        ("everything", ""),
        ("since 2", "?since=2"),
        ("2 at a time", "?limit=2"),
        ("2 at a time, next page", "?limit=2&since=2"),
        ("since above the counter", "?since=999"),
        ("since negative", "?since=-1"),
        ("limit 0", "?limit=0"),
        ("limit 1001", "?limit=1001"),
        ("since not a number", "?since=abc"),
    ]:
        s.get(f"GET /sync: {label}", f"/sync{query}", sam)
    s.get("GET /sync, trailing slash", "/sync/", sam)
    upsert = {"op": "upsert", "id": ids["Y"], "type": "INCOME", "description": "Y", "amount": 1}
    for label, body in [
        ("not an object", [upsert]),
        ("no operations", {}),
        ("operations not a list", {"operations": "all"}),
        ("no operation", {"operations": []}),
        ("501 operations", {"operations": [upsert] * 501}),
        ("an operation not an object", {"operations": [upsert, 7]}),
        ("an unknown op", {"operations": [{"op": "merge", "id": ids["Y"]}]}),
        ("an id not a UUID", {"operations": [{"op": "delete", "id": "nope"}]}),
        ("no id", {"operations": [{"op": "delete"}]}),
        ("unknown top-level field", {"operations": [upsert], "device": "x"}),
        (
            "(200, invalid) base_version not an integer",
            {"operations": [{"op": "delete", "id": ids["Y"], "base_version": "1"}]},
        ),
    ]:
        s.post(f"422 on sync: {label}", "/sync", sam, body)
    s.post("400 on sync: invalid JSON", "/sync", sam, raw="{", content_type="application/json")
    s.post("415 on sync", "/sync", sam, raw="{}", content_type="text/plain")
    s.get("sam's rows after sync", "/transactions", sam)
    s.check_totals(sam, "sam's balance after sync")
    s.get("sam's summary by month after sync", "/summary?group=month", sam)
    lower = {"op": "upsert", "id": fixed_id(120), "type": "income", "description": "Lower"}
    s.rec.name(fixed_id(120), "sync:lower-case kind")
    s.post(
        "sync batch: a kind in lower case", "/sync", sam, {"operations": [{**lower, "amount": 1}]}
    )
    alice = s.login("alice", "login alice for sync")
    s.get("alice's sync: everything, with tombstones", "/sync", alice)


def imports(s: Script) -> None:
    ivy = s.account("ivy")
    bank = (
        "type,date,description,amount,category\r\n"
        "EXPENSE,2025-11-03,Coffee,3.20,Food\r\n"
        "EXPENSE,2025-11-03,Coffee,3.20,Food\r\n"
        "INCOME,2025-11-01,Salary,3000,\r\n"
    )
    csv_type = "text/csv"
    s.post(
        "import CSV: dry run",
        "/transactions/import?dry_run=true",
        ivy,
        raw=bank,
        content_type=csv_type,
    )
    s.get("rows after the dry run", "/transactions", ivy)
    s.post("import CSV", "/transactions/import", ivy, raw=bank, content_type=csv_type)
    s.post(
        "import CSV: the same file again",
        "/transactions/import/",
        ivy,
        raw=bank,
        content_type=csv_type,
    )
    three = (
        "type,date,description,amount,category\n" + "expense,2025-11-03,Coffee,-3.20,Other\n" * 3
    )
    s.post(
        "import CSV: three coffees against two",
        "/transactions/import",
        ivy,
        raw=three,
        content_type=csv_type,
    )
    odd = (
        "\ufeffcategory , amount,description,type,date,id,created_at\n"
        " Food ,12.5,  Lead spaces, Expense ,,,2020-01-01T00:00:00+00:00\n"
        "'=SUM(A1),1,'-minus,INCOME,2025-11-02,,\n"
        f",7,With an id,INCOME,2025-11-02,{fixed_id(200).upper()},\n"
        f",7,Same id again,INCOME,2025-11-02,{fixed_id(200)},\n"
        "   ,1,Blank category,income,2025-11-02,,\n"
        "\n"
    )
    s.rec.name(fixed_id(200), "row:imported id")
    s.post(
        "import CSV: BOM, any order, quoted formulas, ids",
        "/transactions/import",
        ivy,
        raw=odd.encode(),
        content_type=csv_type,
    )
    rows = [
        {
            "type": "INCOME",
            "description": "From JSON",
            "amount": 10,
            "date": "2025-11-05",
            "id": fixed_id(200),
        },
        {
            "type": "EXPENSE",
            "description": " Padded ",
            "amount": "2.50",
            "category": " Pad ",
            "date": "2025-11-05",
            "created_at": "x",
            "updated_at": "y",
            "version": 9,
        },
        {"type": "income", "description": "Lower type", "amount": 1, "date": "2025-11-05"},
    ]
    s.post("import JSON", "/transactions/import", ivy, rows)
    s.get("ivy's rows after imports", "/transactions", ivy)
    s.get("ivy's export", "/transactions.csv", ivy)
    s.get("ivy's sync after imports", "/sync", ivy)
    s.check_totals(ivy, "ivy's balance after imports")
    bad_json = [
        {"type": "INCOME", "description": "ok", "amount": 1},
        {"type": "INCOME", "description": "bad amount", "amount": "1.001"},
        {"description": "no type", "amount": 1},
        "not an object",
        {"type": "INCOME", "description": "d", "amount": 1, **{f"f{n}": n for n in range(8)}},
        {"type": "INCOME", "description": "negative", "amount": -1, "id": "nope"},
        {"type": "LOAN", "description": "", "amount": 1},
    ]
    s.post("import JSON: bad rows", "/transactions/import", ivy, bad_json)
    s.post(
        "import JSON: a repeated field",
        "/transactions/import",
        ivy,
        raw='[{"type": "INCOME", "description": "a", "amount": 1, "amount": 2}]',
        content_type="application/json",
    )
    bad_csv = (
        "type,description,amount,date\n"
        "INCOME,ok,1,2025-11-01\n"
        "INCOME,too,many,cells,here\n"
        "INCOME,negative,-1,2025-11-01\n"
        "EXPENSE,bad date,1,2025-13-01\n"
        "TRANSFER,,x,\n"
    )
    s.post("import CSV: bad rows", "/transactions/import", ivy, raw=bad_csv, content_type=csv_type)
    for label, raw in [
        ("unknown and missing columns", "kind,description,note\nINCOME,x,y\n"),
        ("a column named twice", "type,description,amount,amount\nINCOME,x,1,1\n"),
        ("empty file", ""),
        ("header only", "type,description,amount\n"),
    ]:
        s.post(f"import CSV: {label}", "/transactions/import", ivy, raw=raw, content_type=csv_type)
    s.post(
        "import CSV: not UTF-8",
        "/transactions/import",
        ivy,
        raw=b"type,description,amount\nINCOME,caf\xe9,1\n",
        content_type=csv_type,
    )
    s.post(
        "import CSV: a NUL",
        "/transactions/import",
        ivy,
        raw="type,description,amount\nINCOME,a\x00b,1\n",
        content_type=csv_type,
    )
    for label, raw in [
        ("an object, not an array", '{"type": "INCOME"}'),
        ("invalid JSON", "[{"),
        ("empty array", "[]"),
        ("empty body", ""),
        (
            "a huge integer",
            '[{"type": "INCOME", "description": "d", "amount": 1' + "0" * 5000 + "}]",
        ),
    ]:
        s.post(
            f"import JSON: {label}",
            "/transactions/import",
            ivy,
            raw=raw,
            content_type="application/json",
        )
    for depth in (16, 17, 18):
        inner = depth - 2
        raw = (
            '[{"type": "INCOME", "description": "d", "amount": 1, "category": '
            + "[" * inner
            + "]" * inner
            + "}]"
        )
        s.post(
            f"import JSON: nested {depth} deep",
            "/transactions/import",
            ivy,
            raw=raw,
            content_type="application/json",
        )
    s.post("import: text/plain", "/transactions/import", ivy, raw="x", content_type="text/plain")
    s.post("import: no media type", "/transactions/import", ivy, raw="x")
    s.post(
        "import: dry_run not a boolean",
        "/transactions/import?dry_run=maybe",
        ivy,
        raw="[]",
        content_type="application/json",
    )
    s.post("import: no token", "/transactions/import", raw=bank, content_type=csv_type)
    big_rows = "type,description,amount,date\n" + "EXPENSE,Row,1,2025-01-01\n" * 10_001
    s.post(
        "import CSV: 10,001 rows", "/transactions/import", ivy, raw=big_rows, content_type=csv_type
    )
    oversize = b"type,description,amount\n" + b"x" * (5 * MIB)
    s.post("import: over 5 MiB", "/transactions/import", ivy, raw=oversize, content_type=csv_type)
    s.post(
        "import: chunked, over 5 MiB",
        "/transactions/import",
        ivy,
        raw=oversize,
        content_type=csv_type,
        chunked=True,
    )
    s.post(
        "import: chunked",
        "/transactions/import",
        ivy,
        raw=bank,
        content_type=csv_type,
        chunked=True,
    )
    s.get("ivy's balance after the refused imports", "/balance", ivy)
    export_then_import(s)


def export_then_import(s: Script) -> None:
    """Export then import is exact: pat's export into quinn gives the same rows, ids included."""
    pat = s.login("pat", "login pat for the round trip")
    exported = s.get("pat's export for the round trip", "/transactions.csv", pat)
    quinn = s.account("quinn")
    s.post(
        "import pat's export into quinn",
        "/transactions/import",
        quinn,
        raw=exported.get_data(),
        content_type="text/csv",
    )
    again = s.get("quinn's export", "/transactions.csv", quinn)
    s.rec.fact(
        "the same rows as pat's export, created_at aside",
        without_created_at(again.get_data(as_text=True))
        == without_created_at(exported.get_data(as_text=True)),
    )
    s.check_totals(quinn, "quinn's balance after the round trip")
    s.post(
        "import pat's export into pat",
        "/transactions/import",
        pat,
        raw=exported.get_data(),
        content_type="text/csv",
    )


def without_created_at(text: str) -> list[str]:
    """The rows of an export, created_at aside, in any order (an import lists a file's rows of
    one day in the reverse of the file's order)."""
    return sorted(line.rsplit(",", 1)[0] for line in text.splitlines())


def sessions_and_passwords(s: Script) -> None:
    s.register("dave")
    phone = s.login("dave", "dave logs in on the phone", device="Phone")
    laptop = s.login("dave", "dave logs in on the laptop", device="Laptop")
    tablet = s.login("dave", "dave logs in on the tablet", device="Tablet")
    s.get("dave's sessions", "/auth/sessions", phone)
    s.get("dave's sessions, trailing slash", "/auth/sessions/", laptop)
    s.call("HEAD dave's sessions", "HEAD", "/auth/sessions", phone)
    s.delete("sign the tablet out", f"/auth/sessions/{tablet.session}", phone)
    s.get("the tablet's token after its sign-out", "/incomes", tablet)
    s.post("the tablet's refresh after its sign-out", "/auth/refresh", token=tablet.refresh)
    s.delete("sign the tablet out again", f"/auth/sessions/{tablet.session}/", phone)
    s.delete("sign out an unknown session", f"/auth/sessions/{SOME_ID}", phone)
    bob = s.login("bob", "login bob for sessions")
    s.delete("bob signs out dave's session", f"/auth/sessions/{laptop.session}", bob)
    s.delete("sign out a session id that is not a UUID", "/auth/sessions/123", phone)
    s.get("dave's sessions after a sign-out", "/auth/sessions", phone)
    for label, body in [
        (
            "wrong current password",
            {"current_password": "not it at all", "new_password": NEW_PASSWORD},
        ),
        ("new password too short", {"current_password": PASSWORD, "new_password": "short"}),
        ("missing fields", {}),
        ("unknown field", {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "x": 1}),
    ]:
        s.post(f"password change: {label}", "/auth/password", phone, body)
    s.post(
        "change the password",
        "/auth/password/",
        phone,
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    s.get("the laptop after the password change", "/incomes", laptop)
    s.get("the phone after the password change", "/auth/sessions", phone)
    s.post(
        "login with the old password",
        "/auth/login",
        body={"username": "dave", "password": PASSWORD},
    )
    s.login("dave", "login with the new password", password=NEW_PASSWORD, device="Desk")
    s.delete("sign out every other session", "/auth/sessions/", phone)
    s.get("dave's sessions after signing out the others", "/auth/sessions", phone)
    s.get("me", "/auth/me", phone)
    s.get("me, trailing slash", "/auth/me/", phone)
    s.call("HEAD me", "HEAD", "/auth/me", phone)


def refresh_and_logout(s: Script) -> None:
    user = s.login("grace", "grace logs in")
    first = user.refresh
    answer = s.post("refresh", "/auth/refresh", token=first)
    second = answer.get_json()["refresh_token"]
    s.post("refresh with the spent token, within the grace", "/auth/refresh/", token=first)
    answer = s.post("refresh with the live token", "/auth/refresh", token=second)
    live = answer.get_json()
    s.post(
        "refresh with a token older than the one before the live one", "/auth/refresh", token=first
    )
    s.post(
        "refresh with the live token after the reuse", "/auth/refresh", token=live["refresh_token"]
    )
    s.get("the session's access token after the reuse", "/incomes", token=live["access_token"])
    s.post("refresh with no token", "/auth/refresh")
    expired = s.forge(first, exp=1_700_000_060, iat=1_700_000_000, nbf=1_700_000_000)
    s.post("refresh with an expired refresh token", "/auth/refresh", token=expired)
    other = s.login("grace", "grace logs in again")
    s.post("log out", "/auth/logout", other)
    s.get("the access token after log out", "/incomes", other)
    s.post("the refresh token after log out", "/auth/refresh", token=other.refresh)
    s.post("log out again", "/auth/logout/", other)
    s.post(
        "log out with a refresh token",
        "/auth/logout",
        token=s.login("grace", "grace logs in a third time").refresh,
    )


def browser_cookies(s: Script) -> None:
    s.register("erin")
    browser = s.rec.client(web=True, cookies=True)
    origin = {"Origin": "https://app.example"}

    def csrf(name: str = "csrf_access_token") -> dict[str, str]:
        return {"X-CSRF-TOKEN": browser.get_cookie(name).value, **origin}

    body = {"username": "erin", "password": PASSWORD, "cookies": True, "device": "Browser"}
    answer = s.post("cookie sign-in", "/auth/login", body=body, headers=origin, client=browser)
    s.rec.name(answer.get_json()["session_id"], "session:browser")
    s.get("cookie: a read", "/incomes", headers=origin, client=browser)
    row = {"description": "Pay", "amount": 5, "date": "2025-11-01"}
    s.post(
        "cookie: a change without X-CSRF-TOKEN",
        "/incomes",
        body=row,
        headers=origin,
        client=browser,
    )
    s.post(
        "cookie: a change with a wrong X-CSRF-TOKEN",
        "/incomes",
        body=row,
        headers={**origin, "X-CSRF-TOKEN": "wrong"},
        client=browser,
    )
    answer = s.post(
        "cookie: a change with X-CSRF-TOKEN", "/incomes", body=row, headers=csrf(), client=browser
    )
    s.rec.name(answer.get_json()["id"], "row:erin's pay")
    s.delete(
        "cookie: sign out others without X-CSRF-TOKEN",
        "/auth/sessions",
        headers=origin,
        client=browser,
    )
    s.post("cookie: refresh without X-CSRF-TOKEN", "/auth/refresh", headers=origin, client=browser)
    s.post(
        "cookie: refresh with the access CSRF token",
        "/auth/refresh",
        headers=csrf("csrf_access_token"),
        client=browser,
    )
    s.post("cookie: refresh", "/auth/refresh", headers=csrf("csrf_refresh_token"), client=browser)
    erin = s.login("erin", "erin logs in with a bearer token")
    s.get(
        "cookie and bearer header: the header wins",
        "/auth/sessions",
        erin,
        headers=origin,
        client=browser,
    )
    s.post("cookie: log out without X-CSRF-TOKEN", "/auth/logout", headers=origin, client=browser)
    s.post("cookie: log out", "/auth/logout", headers=csrf(), client=browser)
    s.get("cookie: a read after log out", "/incomes", headers=origin, client=browser)
    answer = s.post("cookie sign-in again", "/auth/login", body=body, client=browser)
    s.rec.name(answer.get_json()["session_id"], "session:browser again")
    spent = browser.get_cookie("refresh_token_cookie", path="/auth").value
    spent_csrf = csrf("csrf_refresh_token")
    s.post(
        "cookie: refresh again", "/auth/refresh", headers=csrf("csrf_refresh_token"), client=browser
    )
    browser.set_cookie("refresh_token_cookie", spent, path="/auth")
    s.post(
        "cookie: a spent refresh cookie within the grace",
        "/auth/refresh",
        headers=spent_csrf,
        client=browser,
    )
    s.post(
        "cookie: refresh once more",
        "/auth/refresh",
        headers=csrf("csrf_refresh_token"),
        client=browser,
    )
    browser.set_cookie("refresh_token_cookie", spent, path="/auth")
    s.post("cookie: a reused refresh cookie", "/auth/refresh", headers=spent_csrf, client=browser)
    s.get("cookie: a read after the reuse", "/incomes", headers=origin, client=browser)


def account_deletion(s: Script) -> None:
    carol = s.account("carol")
    row = s.add(
        carol, "carol's row", "incomes", "carol's", description="Mine", amount=1, date="2025-11-01"
    )
    s.put("carol's budget", "/budgets/2025-11/Food", carol, {"amount": 1})
    other = s.login("carol", "carol logs in again")
    s.delete("delete me without a token", "/auth/me")
    s.delete("delete me", "/auth/me", carol)
    s.get("the deleted user's token", "/auth/me", carol)
    s.get("the deleted user's other session", "/incomes", other)
    s.post("the deleted user's refresh token", "/auth/refresh", token=carol.refresh)
    s.delete("delete me again", "/auth/me/", other)
    s.post(
        "login as the deleted user", "/auth/login", body={"username": "carol", "password": PASSWORD}
    )
    s.register("carol", "register the deleted user's name again")
    fresh = s.login("carol", "the new carol logs in")
    s.get("the new carol's rows", "/transactions", fresh)
    s.get("the new carol's categories", "/categories", fresh)
    s.get("the new carol's sync", "/sync", fresh)
    s.get("the old carol's row by id", f"/incomes/{row['id']}", fresh)
