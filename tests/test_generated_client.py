"""A client generated from the served OpenAPI document works, and its types match the answers.

API users generate clients from GET /openapi.json. A response field the document leaves out of
`required` becomes `X | Unset` in such a client, so every caller has to narrow or cast a field
the server always sends; an `amount` typed `float | str` has to be parsed by every caller. This
test generates the client with openapi-python-client from what a real server serves, drives a
whole income's life through the generated functions only, and checks the models' types.

The generated package is imported at run time, where no static type checker looks, so the types
are checked by resolving the models' annotations (`typing.get_type_hints`) instead.
"""

import datetime
import importlib
import json
import subprocess
import sys
import typing
import uuid
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from live import request

PACKAGE = "cashman_generated_client"
GENERATOR_TIMEOUT = 120  # seconds; it takes about 2
HTTP_TIMEOUT = httpx.Timeout(10.0)
UNSET = f"{PACKAGE}.types.Unset"  # shortened to `Unset` in messages
PASSWORD = "correct horse battery"
UTC_OFFSET = datetime.timedelta(0)
ACCESS_TOKEN_SECONDS = 15 * 60  # the default: the live server sets no JWT_ACCESS_TOKEN_EXPIRES


@pytest.fixture
def client_package(live_server: str, tmp_path: Path) -> Iterator[ModuleType]:
    """Generate the client from the document the live server serves; import it; forget it after."""
    status, _, document = request(live_server, "GET", "/openapi.json")
    assert status == 200
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document))
    # No post hooks: the default ones run ruff over the output, which only restyles it. The
    # generator has no text/csv bodies of its own (the import's): it sends one as bytes.
    config = tmp_path / "generator.json"
    overrides = {"text/csv": "application/octet-stream"}
    config.write_text(json.dumps({"post_hooks": [], "content_type_overrides": overrides}))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            f"--path={spec}",
            f"--config={config}",
            "--meta=none",
            f"--output-path={tmp_path / PACKAGE}",
            "--fail-on-warning",  # a warning means an operation or model was left out
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=GENERATOR_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.partition(".")[0] == PACKAGE]:
            del sys.modules[name]


def assert_fully_described(model, content: bytes) -> None:
    """The model holds exactly the JSON the server sent: no field the document forgot.

    With `additionalProperties: false` the generated model has no `additional_properties` and
    drops unknown keys, so `to_dict()` would miss them; without it, they would land there.
    """
    assert model.to_dict() == json.loads(content)
    assert getattr(model, "additional_properties", {}) == {}


def mistyped_fields(expected: dict[type, dict[str, object]]) -> list[str]:
    """Each field whose resolved annotation is not the expected one, as `Model.field: found`."""
    found = []
    for model_class, fields in expected.items():
        hints = typing.get_type_hints(model_class)
        hints.pop("additional_properties", None)
        for name in sorted(hints.keys() | fields.keys()):
            if hints.get(name) != fields.get(name):
                hint = str(hints.get(name)).replace(UNSET, "Unset")
                found.append(f"{model_class.__name__}.{name}: {hint}")
    return found


def test_generated_client_drives_an_income_through_its_life(live_server, client_package):
    """Register, log in, record, list, read, change and delete through the generated client.

    Every field of every parsed answer is read as the client types it, with no cast: the
    values must be the ones sent, of the API's types (`amount` a number, timestamps in UTC).
    Then the models' annotations must say so too: no `Unset` and no `float | str`.
    """

    def operation(name: str) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.api.{name}")

    def bearing(token: str):
        return client_package.AuthenticatedClient(
            base_url=live_server, token=token, timeout=HTTP_TIMEOUT, raise_on_unexpected_status=True
        )

    models = importlib.import_module(f"{PACKAGE}.models")
    started = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    today = started.date()

    with client_package.Client(
        base_url=live_server, timeout=HTTP_TIMEOUT, raise_on_unexpected_status=True
    ) as anonymous:
        registered = operation("auth.post_register").sync_detailed(
            client=anonymous, body=models.Register(username="alice", password=PASSWORD)
        )
        assert registered.status_code == 201, registered.content
        user = registered.parsed
        assert type(user.id) is uuid.UUID and user.id.version == 7
        assert user.username == "alice"
        assert user.created_at.utcoffset() == UTC_OFFSET
        assert started <= user.created_at <= datetime.datetime.now(datetime.UTC)
        assert_fully_described(user, registered.content)

        logged_in = operation("auth.post_login").sync_detailed(
            client=anonymous, body=models.Login(username="alice", password=PASSWORD)
        )
        assert logged_in.status_code == 200, logged_in.content
        tokens = logged_in.parsed
        assert tokens.access_token.startswith("eyJ")
        assert tokens.refresh_token.startswith("eyJ")
        assert tokens.refresh_token != tokens.access_token
        assert tokens.token_type == "Bearer"
        assert tokens.expires_in == ACCESS_TOKEN_SECONDS
        assert_fully_described(tokens, logged_in.content)

    with bearing(tokens.refresh_token) as refreshing:
        refreshed = operation("auth.post_refresh").sync_detailed(client=refreshing)
        assert refreshed.status_code == 200, refreshed.content
        access = refreshed.parsed
        assert access.access_token.startswith("eyJ")
        assert access.token_type == "Bearer"
        assert access.expires_in == ACCESS_TOKEN_SECONDS
        assert_fully_described(access, refreshed.content)

    with bearing(access.access_token) as alice:
        created = operation("transactions.post_income_list").sync_detailed(
            client=alice,
            body=models.Income(
                description="Salary",
                amount="5000.10",
                category="job",
                date=datetime.date(2024, 5, 31),
            ),
        )
        assert created.status_code == 201, created.content
        income = created.parsed
        assert type(income.id) is uuid.UUID and income.id.version == 7
        assert income.type_ == "INCOME"
        assert income.description == "Salary"
        assert type(income.amount) is float and income.amount == 5000.10
        assert income.category == "job"
        assert income.date == datetime.date(2024, 5, 31)
        assert income.created_at.utcoffset() == UTC_OFFSET
        assert started <= income.created_at <= datetime.datetime.now(datetime.UTC)
        assert income.updated_at == income.created_at
        assert created.headers["Location"] == f"/incomes/{income.id}"
        assert_fully_described(income, created.content)

        coffee = models.Expense(id=uuid.uuid4(), description="Coffee", amount=3.5)
        spent = operation("transactions.post_expense_list").sync_detailed(client=alice, body=coffee)
        assert spent.status_code == 201, spent.content
        expense = spent.parsed
        assert expense.id == coffee.id
        retried = operation("transactions.post_expense_list").sync_detailed(
            client=alice, body=coffee
        )
        assert retried.status_code == 200, retried.content
        assert retried.parsed == expense
        assert expense.type_ == "EXPENSE"
        assert expense.description == "Coffee"
        assert type(expense.amount) is float and expense.amount == -3.5  # stored negative
        assert expense.category is None
        assert expense.date in {today, datetime.datetime.now(datetime.UTC).date()}
        assert expense.created_at.utcoffset() == UTC_OFFSET
        assert expense.updated_at == expense.created_at
        assert_fully_described(expense, spent.content)

        listed = operation("transactions.get_income_list").sync_detailed(client=alice)
        assert listed.status_code == 200, listed.content
        assert listed.parsed == [income]  # incomes only: not the expense
        assert listed.headers["X-Total-Count"] == "1"
        assert [row.to_dict() for row in listed.parsed] == json.loads(listed.content)

        got = operation("transactions.get_income").sync_detailed(income.id, client=alice)
        assert got.status_code == 200, got.content
        assert got.parsed == income
        assert_fully_described(got.parsed, got.content)

        patched = operation("transactions.patch_income").sync_detailed(
            income.id,
            client=alice,
            body=models.IncomePatch(description="Salary, May", amount=5100.25, category=None),
        )
        assert patched.status_code == 200, patched.content
        changed = patched.parsed
        assert changed.id == income.id
        assert changed.type_ == "INCOME"
        assert changed.description == "Salary, May"
        assert type(changed.amount) is float and changed.amount == 5100.25
        assert changed.category is None
        assert changed.date == datetime.date(2024, 5, 31)
        assert changed.created_at == income.created_at
        assert changed.updated_at.utcoffset() == UTC_OFFSET
        assert income.updated_at <= changed.updated_at <= datetime.datetime.now(datetime.UTC)
        assert_fully_described(changed, patched.content)

        deleted = operation("transactions.delete_income").sync_detailed(income.id, client=alice)
        assert (deleted.status_code, deleted.content) == (204, b"")

        gone = operation("transactions.get_income").sync_detailed(income.id, client=alice)
        assert gone.status_code == 404, gone.content
        problem = gone.parsed
        assert problem.type_ == "about:blank"
        assert problem.title == "Not Found"
        assert problem.status == 404
        assert type(problem.detail) is str and problem.detail
        assert problem.request_id == gone.headers["X-Request-ID"]
        assert_fully_described(problem, gone.content)

    # Last, so that a failure here means the client works but its types are wrong: what the
    # server always sends must be required (never `Unset`); `category` is the one field that may
    # be null; `amount` is a number in every answer (not `float | str`).
    mistyped = mistyped_fields(
        {
            models.User: {"id": uuid.UUID, "username": str, "created_at": datetime.datetime},
            models.Tokens: {
                "access_token": str,
                "refresh_token": str,
                "token_type": models.TokensTokenType,
                "expires_in": int,
            },
            models.LoginTokens: {
                "access_token": str,
                "refresh_token": str,
                "token_type": models.LoginTokensTokenType,
                "expires_in": int,
                "session_id": uuid.UUID,
                "refresh_expires_in": int,
            },
            models.Session: {
                "id": uuid.UUID,
                "device": str,
                "created_at": datetime.datetime,
                "last_active_at": datetime.datetime,
                "current": bool,
            },
            models.Transaction: {
                "id": uuid.UUID,
                "type_": models.TransactionType,
                "description": str,
                "amount": float,
                "account_id": uuid.UUID,
                "transfer_id": None | uuid.UUID,
                "category": str | None,
                "date": datetime.date,
                "created_at": datetime.datetime,
                "updated_at": datetime.datetime,
                "version": int,
            },
        }
    )
    assert mistyped == [], "fields typed unlike what the server sends:\n" + "\n".join(mistyped)


def test_generated_client_signs_in_and_refreshes_by_cookie(live_server, client_package):
    """A login with `"cookies": true` and a refresh by the refresh cookie answer bodies without
    tokens: the generated client must parse them as the documented cookie answers, not raise
    `KeyError: 'access_token'`."""
    models = importlib.import_module(f"{PACKAGE}.models")
    login = importlib.import_module(f"{PACKAGE}.api.auth.post_login")
    refresh = importlib.import_module(f"{PACKAGE}.api.auth.post_refresh")
    assert (
        request(live_server, "POST", "/auth/register", {"username": "carol", "password": PASSWORD})[
            0
        ]
        == 201
    )

    with client_package.Client(
        base_url=live_server, timeout=HTTP_TIMEOUT, raise_on_unexpected_status=True
    ) as anonymous:
        body = models.Login(username="carol", password=PASSWORD, cookies=True)
        signed_in = login.sync_detailed(client=anonymous, body=body)
    assert signed_in.status_code == 200, signed_in.content
    session = signed_in.parsed
    assert type(session) is models.CookieLogin
    assert session.token_type == models.CookieLoginTokenType.COOKIE
    assert session.expires_in == ACCESS_TOKEN_SECONDS
    assert type(session.session_id) is uuid.UUID
    assert_fully_described(session, signed_in.content)

    cookies = SimpleCookie()
    for header in signed_in.headers.get_list("Set-Cookie"):
        cookies.load(header)
    assert set(cookies) == {
        "access_token_cookie",
        "refresh_token_cookie",
        "csrf_access_token",
        "csrf_refresh_token",
    }
    # The cookies are Secure (a production server): httpx would not send them back over http,
    # so they are handed over as a browser on https would send them. The refresh scheme is an
    # API key in a cookie, which the generated client leaves to its caller.
    with client_package.Client(
        base_url=live_server,
        timeout=HTTP_TIMEOUT,
        raise_on_unexpected_status=True,
        cookies={"refresh_token_cookie": cookies["refresh_token_cookie"].value},
        headers={"X-CSRF-TOKEN": cookies["csrf_refresh_token"].value},
    ) as browser:
        refreshed = refresh.sync_detailed(client=browser)
    assert refreshed.status_code == 200, refreshed.content
    assert type(refreshed.parsed) is models.CookieTokens
    assert refreshed.parsed.token_type == models.CookieTokensTokenType.COOKIE
    assert refreshed.parsed.expires_in == ACCESS_TOKEN_SECONDS
    assert_fully_described(refreshed.parsed, refreshed.content)
    assert "refresh_token_cookie" in {
        header.partition("=")[0] for header in refreshed.headers.get_list("Set-Cookie")
    }

    mistyped = mistyped_fields(
        {
            models.CookieLogin: {
                "token_type": models.CookieLoginTokenType,
                "expires_in": int,
                "session_id": uuid.UUID,
            },
            models.CookieTokens: {"token_type": models.CookieTokensTokenType, "expires_in": int},
        }
    )
    assert mistyped == [], "fields typed unlike what the server sends:\n" + "\n".join(mistyped)


def test_generated_client_drives_accounts_and_a_transfer(live_server, client_package):
    """Open a euro account beside a dollar default, move money between them and back out,
    through the generated functions only; every answer parses into a model that holds it all,
    with amounts as numbers and nothing left `Unset`."""

    def operation(name: str) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.api.{name}")

    models = importlib.import_module(f"{PACKAGE}.models")
    assert (
        request(live_server, "POST", "/auth/register", {"username": "dora", "password": PASSWORD})[
            0
        ]
        == 201
    )
    status, _, tokens = request(
        live_server, "POST", "/auth/login", {"username": "dora", "password": PASSWORD}
    )
    assert status == 200
    with client_package.AuthenticatedClient(
        base_url=live_server,
        token=tokens["access_token"],
        timeout=HTTP_TIMEOUT,
        raise_on_unexpected_status=True,
    ) as dora:
        listed = operation("accounts.get_account_list").sync_detailed(client=dora)
        assert listed.status_code == 200, listed.content
        (main,) = listed.parsed
        assert (main.name, main.currency, main.default, main.balance) == ("Main", "USD", True, 0)
        assert [account.to_dict() for account in listed.parsed] == json.loads(listed.content)

        opened = operation("accounts.post_account_list").sync_detailed(
            client=dora,
            body=models.AccountBody(
                name="Euro savings",
                kind=models.AccountBodyKind.SAVINGS,
                currency="EUR",
                opening_balance=100.5,
            ),
        )
        assert opened.status_code == 201, opened.content
        euros = opened.parsed
        assert opened.headers["Location"] == f"/accounts/{euros.id}"
        assert type(euros.balance) is float and euros.balance == 100.5
        assert_fully_described(euros, opened.content)

        moved = operation("transfers.post_transfer_list").sync_detailed(
            client=dora,
            body=models.TransferBody(
                from_account_id=main.id, to_account_id=euros.id, amount="10", to_amount="9.25"
            ),
        )
        assert moved.status_code == 201, moved.content
        transfer = moved.parsed
        assert (transfer.amount, transfer.to_amount) == (10, 9.25)
        assert transfer.description == "Transfer"
        assert_fully_described(transfer, moved.content)

        patched = operation("transfers.patch_transfer").sync_detailed(
            transfer.id, client=dora, body=models.TransferBodyPatch(to_amount=9.5)
        )
        assert patched.status_code == 200, patched.content
        assert patched.parsed.to_amount == 9.5 and patched.parsed.version > transfer.version
        assert_fully_described(patched.parsed, patched.content)

        page = operation("transfers.get_transfer_list").sync_detailed(client=dora)
        assert page.status_code == 200, page.content
        assert page.parsed == [patched.parsed]
        assert page.headers["X-Total-Count"] == "1"

        got = operation("accounts.get_account").sync_detailed(euros.id, client=dora)
        assert got.parsed.balance == 110.0  # 100.50 + 9.50
        renamed = operation("accounts.patch_account").sync_detailed(
            euros.id, client=dora, body=models.AccountPatch(name="Euros", default=True)
        )
        assert renamed.status_code == 200, renamed.content
        assert (renamed.parsed.name, renamed.parsed.default) == ("Euros", True)
        assert_fully_described(renamed.parsed, renamed.content)

        deleted = operation("transfers.delete_transfer").sync_detailed(transfer.id, client=dora)
        assert (deleted.status_code, deleted.content) == (204, b"")

    mistyped = mistyped_fields(
        {
            models.Account: {
                "id": uuid.UUID,
                "name": str,
                "kind": models.AccountKind,
                "currency": str,
                "opening_balance": float,
                "balance": float,
                "archived": bool,
                "default": bool,
                "version": int,
                "created_at": datetime.datetime,
                "updated_at": datetime.datetime,
            },
            models.Transfer: {
                "id": uuid.UUID,
                "from_account_id": uuid.UUID,
                "to_account_id": uuid.UUID,
                "amount": float,
                "to_amount": float,
                "description": str,
                "date": datetime.date,
                "version": int,
                "created_at": datetime.datetime,
                "updated_at": datetime.datetime,
            },
        }
    )
    assert mistyped == [], "fields typed unlike what the server sends:\n" + "\n".join(mistyped)
