"""Accounts: the default `Main`, opening, changing and deleting one, its balance, archiving,
the default moving, and another user's accounts behaving as absent ones."""

import re
import uuid
from decimal import Decimal

import pytest
from helpers import (
    NOT_FOUND,
    PASSWORD,
    ROW,
    SOME_ID,
    Account,
    add_row,
    assert_invalid_body,
    assert_problem,
    assert_public_id,
    assert_timestamp,
    json_body,
    login,
)

KEYS = {
    "id",
    "name",
    "kind",
    "currency",
    "opening_balance",
    "balance",
    "archived",
    "default",
    "version",
    "created_at",
    "updated_at",
}
KINDS = ["checking", "savings", "credit_card", "cash", "investment", "loan", "other"]
SAVINGS = {"name": "Savings", "kind": "savings", "currency": "USD"}
ETAG = re.compile(r'"[0-9a-f]{32}"')
CURRENCY = "Not an active ISO 4217 currency code in upper case, such as USD or EUR."
NAME_LENGTH = "Length must be between 1 and 64."
READ_ONLY = ["Read-only field."]
CHOOSE_DEFAULT = "Choose another default account first."
HOLDS_ROWS = "Archive it, or move its transactions first."
CHANGED = "The account has changed: If-Match does not match its ETag."
NAME_TAKEN = {"name": ["You already have an account with this name."]}


def post_account(client, user, **fields):
    return client.post("/accounts", json={**SAVINGS, **fields}, headers=user.headers)


def open_account(client, user, **fields) -> dict:
    """Open an account (which must succeed); return it as answered."""
    return json_body(post_account(client, user, **fields), 201)


def url(account: dict | str) -> str:
    return f"/accounts/{account if isinstance(account, str) else account['id']}"


def get(client, user, path: str, status: int = 200):
    return json_body(client.get(path, headers=user.headers), status)


def patch(client, user, account, body: dict, **headers):
    return client.patch(url(account), json=body, headers={**user.headers, **headers})


def main_of(client, user) -> dict:
    return get(client, user, url(get(client, user, "/auth/me")["default_account_id"]))


def written(response, name: str) -> list[str]:
    """Each value of `name` exactly as the answer's JSON writes it (an amount's decimals)."""
    return re.findall(rf'"{name}":(-?[0-9.]+)', response.get_data(as_text=True))


def user_in(client, username: str, currency: str | None) -> Account:
    """Register a user (in `currency` if given) and log in."""
    body = {"username": username, "password": PASSWORD}
    if currency is not None:
        body["currency"] = currency
    user_id = json_body(client.post("/auth/register", json=body), 201)["id"]
    tokens = json_body(login(client, username))
    return Account(user_id, username, tokens["access_token"], tokens["refresh_token"])


def without_request_id(response) -> dict:
    return {key: value for key, value in response.get_json().items() if key != "request_id"}


# The default account


@pytest.mark.parametrize(
    ("currency", "zero"), [(None, "0.00"), ("EUR", "0.00"), ("JPY", "0"), ("KWD", "0.000")]
)
def test_a_new_user_has_one_account_main_the_default(client, currency, zero):
    user = user_in(client, "traveller", currency)
    response = client.get("/accounts", headers=user.headers)
    [main] = json_body(response)
    assert main.keys() == KEYS
    assert_public_id(main["id"])
    assert_timestamp(main["created_at"])
    assert main == {
        "id": main["id"],
        "name": "Main",
        "kind": "checking",
        "currency": currency or "USD",
        "opening_balance": 0,
        "balance": 0,
        "archived": False,
        "default": True,
        "version": 1,
        "created_at": main["created_at"],
        "updated_at": main["created_at"],
    }
    assert written(response, "opening_balance") == written(response, "balance") == [zero]
    assert get(client, user, "/auth/me")["default_account_id"] == main["id"]
    one = client.get(url(main), headers=user.headers)
    assert json_body(one) == main
    assert ETAG.fullmatch(one.headers["ETag"])


def test_without_a_currency_the_main_account_is_in_default_currency(another_app):
    client = another_app(environ={"DEFAULT_CURRENCY": "EUR"}).test_client()
    user = user_in(client, "european", None)
    assert main_of(client, user)["currency"] == "EUR"


def test_a_new_users_server_knowledge_is_1(client, alice):
    assert get(client, alice, "/sync?since=0")["server_knowledge"] == 1


# Listing


def test_accounts_are_ordered_by_name_whatever_its_case(client, alice):
    for name, archived in [
        ("savings", False),
        ("Cash", False),
        ("brokerage", True),
        ("Zeta", False),
    ]:
        open_account(client, alice, name=name, archived=archived)
    everything = get(client, alice, "/accounts")
    assert [account["name"] for account in everything] == [
        "brokerage",
        "Cash",
        "Main",
        "savings",
        "Zeta",
    ]
    assert get(client, alice, "/accounts?archived=false") == [
        account for account in everything if not account["archived"]
    ]
    assert [account["default"] for account in everything] == [False, False, True, False, False]


# Opening


def test_post_answers_201_with_the_account_its_location_and_etag(client, alice):
    response = post_account(
        client, alice, name="  Savings  ", currency="EUR", opening_balance="-12.5"
    )
    body = json_body(response, 201)
    assert_public_id(body["id"])
    assert_timestamp(body["created_at"])
    assert body == {
        "id": body["id"],
        "name": "Savings",
        "kind": "savings",
        "currency": "EUR",
        "opening_balance": Decimal("-12.50"),
        "balance": Decimal("-12.50"),
        "archived": False,
        "default": False,
        "version": 2,  # registration's Main took 1
        "created_at": body["created_at"],
        "updated_at": body["created_at"],
    }
    assert written(response, "opening_balance") == written(response, "balance") == ["-12.50"]
    assert response.headers["Location"] == f"/accounts/{body['id']}"
    assert ETAG.fullmatch(response.headers["ETag"])
    got = client.get(response.headers["Location"], headers=alice.headers)
    assert json_body(got) == body
    assert got.headers["ETag"] == response.headers["ETag"]
    assert get(client, alice, "/accounts") == [main_of(client, alice), body]


def test_post_with_the_clients_id_is_safe_to_retry(client, alice):
    chosen = str(uuid.uuid4())
    first = post_account(client, alice, id=chosen, opening_balance=5)
    assert first.status_code == 201
    assert first.headers["Location"] == f"/accounts/{chosen}"
    knowledge = get(client, alice, "/sync")["server_knowledge"]
    # The same account again: the id in upper case, the name untrimmed, 5 written otherwise.
    again = post_account(client, alice, id=chosen.upper(), name=" Savings ", opening_balance="5.00")
    assert again.status_code == 200
    assert again.data == first.data
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert get(client, alice, "/sync")["server_knowledge"] == knowledge
    for other in ({"kind": "cash"}, {"opening_balance": 6}, {"archived": True}, {"name": "S"}):
        response = post_account(client, alice, **{"id": chosen, "opening_balance": 5, **other})
        assert_problem(
            response,
            409,
            "Conflict",
            "You already have an account with this id and other content.",
        )
    assert get(client, alice, "/accounts") == [main_of(client, alice), first.get_json()]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_can_be_opened(client, alice, kind):
    assert open_account(client, alice, kind=kind)["kind"] == kind


@pytest.mark.parametrize(
    ("currency", "opening", "printed"),
    [
        ("KWD", "12.345", "12.345"),
        ("KWD", Decimal("12.345"), "12.345"),
        ("KWD", 12, "12.000"),
        ("JPY", 1000, "1000"),
        ("JPY", "1000", "1000"),
        ("USD", "-250.5", "-250.50"),
        ("EUR", 0, "0.00"),
    ],
)
def test_the_opening_balance_is_written_with_the_currencys_decimals(
    client, alice, currency, opening, printed
):
    response = post_account(client, alice, currency=currency, opening_balance=opening)
    assert json_body(response, 201)["opening_balance"] == Decimal(printed)
    assert written(response, "opening_balance") == written(response, "balance") == [printed]
    got = client.get(response.headers["Location"], headers=alice.headers)
    assert written(got, "opening_balance") == [printed]


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"name": ""}, {"name": [NAME_LENGTH]}),
        ({"name": "   "}, {"name": [NAME_LENGTH]}),
        ({"name": "x" * 65}, {"name": [NAME_LENGTH]}),
        ({"name": None}, {"name": ["Field may not be null."]}),
        (
            {"kind": "bank"},
            {
                "kind": [
                    "Must be one of: checking, savings, credit_card, cash, investment, loan, other."
                ]
            },
        ),
        ({"currency": "eur"}, {"currency": [CURRENCY]}),
        ({"currency": "DEM"}, {"currency": [CURRENCY]}),
        ({"currency": "XYZ"}, {"currency": [CURRENCY]}),
        (
            {"currency": "JPY", "opening_balance": "1.5"},
            {"opening_balance": ["An amount has at most 0 decimal places."]},
        ),
        (
            {"opening_balance": Decimal("1.234")},
            {"opening_balance": ["An amount has at most 2 decimal places."]},
        ),
        (
            {"currency": "KWD", "opening_balance": "1.2345"},
            {"opening_balance": ["An amount has at most 3 decimal places."]},
        ),
        ({"balance": 0}, {"balance": READ_ONLY}),
        ({"version": 1}, {"version": READ_ONLY}),
        ({"default": True}, {"default": READ_ONLY}),
        (
            {"created_at": "x", "updated_at": "x"},
            {"created_at": READ_ONLY, "updated_at": READ_ONLY},
        ),
    ],
)
def test_post_names_each_invalid_field_and_stores_nothing(client, alice, fields, errors):
    assert_invalid_body(post_account(client, alice, **fields), errors)
    assert [account["name"] for account in get(client, alice, "/accounts")] == ["Main"]


def test_post_names_each_missing_field(client, alice):
    response = client.post("/accounts", json={}, headers=alice.headers)
    missing = ["Missing data for required field."]
    assert_invalid_body(response, {"name": missing, "kind": missing, "currency": missing})


def test_a_name_of_64_characters_after_trimming_is_taken(client, alice):
    assert open_account(client, alice, name=f"  {'x' * 64}  ")["name"] == "x" * 64


@pytest.mark.parametrize("name", ["SAVINGS", "  savings ", "main", "MAIN"])
def test_a_name_the_user_has_in_any_case_is_a_409_naming_name(client, alice, name):
    open_account(client, alice)
    response = post_account(client, alice, name=name)
    assert_problem(response, 409, "Conflict", "The account name is already taken.", NAME_TAKEN)
    assert len(get(client, alice, "/accounts")) == 2


def test_names_are_unique_per_user_only(client, alice, bob):
    open_account(client, alice)
    assert open_account(client, bob)["name"] == "Savings"


# Balance


@pytest.mark.parametrize(
    ("currency", "opening", "income", "expense", "balance"),
    [
        ("USD", "100.10", "20.05", "5.5", "114.65"),
        ("JPY", -1000, 500, 1, "-501"),
        ("KWD", "12.345", "0.005", "1.1", "11.250"),
    ],
)
def test_the_balance_is_the_opening_balance_plus_incomes_minus_expenses(
    client, alice, currency, opening, income, expense, balance
):
    account = open_account(client, alice, currency=currency, opening_balance=opening)
    add_row(client, alice, "incomes", amount=income, account_id=account["id"])
    add_row(client, alice, "expenses", amount=expense, account_id=account["id"])
    add_row(client, alice, "incomes", amount=7)  # into Main
    response = client.get(url(account), headers=alice.headers)
    assert written(response, "balance") == [balance]
    # Only its balance changed: rows added into it do not move its version.
    assert json_body(response) == {**account, "balance": Decimal(balance)}
    main = client.get(url(main_of(client, alice)), headers=alice.headers)
    assert written(main, "balance") == ["7.00"]
    assert main.get_json()["version"] == 1


def test_the_balance_follows_changed_and_deleted_rows_and_opening_balance(client, alice):
    account = open_account(client, alice, opening_balance="100.10")
    income = add_row(client, alice, "incomes", amount="20.05", account_id=account["id"])
    expense = add_row(client, alice, "expenses", amount="5.5", account_id=account["id"])
    client.patch(f"/incomes/{income['id']}", json={"amount": 30}, headers=alice.headers)
    assert get(client, alice, url(account))["balance"] == Decimal("124.60")
    assert client.delete(f"/expenses/{expense['id']}", headers=alice.headers).status_code == 204
    assert get(client, alice, url(account))["balance"] == Decimal("130.10")
    patched = patch(client, alice, account, {"opening_balance": "-0.15"})
    assert written(patched, "balance") == ["29.85"]
    assert [a["balance"] for a in get(client, alice, "/accounts")] == [0, Decimal("29.85")]


# Changing


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"name": "  Rainy day  "}, {"name": "Rainy day"}),
        ({"name": "SAVINGS"}, {"name": "SAVINGS"}),  # its own name in another case
        ({"kind": "cash"}, {"kind": "cash"}),
        (
            {"opening_balance": "-20.5"},
            {"opening_balance": Decimal("-20.50"), "balance": Decimal("-20.50")},
        ),
        ({"archived": True}, {"archived": True}),
        ({"currency": "EUR"}, {"currency": "EUR"}),  # it holds no transaction
        ({"currency": "JPY"}, {"currency": "JPY"}),  # 10.00 dollars: 10 yen
        ({"kind": "loan", "archived": True}, {"kind": "loan", "archived": True}),
    ],
)
def test_patch_changes_the_fields_given_and_moves_the_version(client, alice, change, expected):
    created = post_account(client, alice, opening_balance=10)
    account = json_body(created, 201)
    response = patch(client, alice, account, change)
    body = json_body(response)
    assert body == {**account, **expected, "version": 3, "updated_at": body["updated_at"]}
    assert body["updated_at"] > account["updated_at"]
    got = client.get(url(account), headers=alice.headers)
    assert json_body(got) == body
    assert got.headers["ETag"] == response.headers["ETag"] != created.headers["ETag"]
    assert ETAG.fullmatch(response.headers["ETag"])


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"name": "  "}, {"name": [NAME_LENGTH]}),
        ({"name": "x" * 65}, {"name": [NAME_LENGTH]}),
        ({"kind": "bank"}, {"kind": [f"Must be one of: {', '.join(KINDS)}."]}),
        ({"currency": "eur"}, {"currency": [CURRENCY]}),
        ({"currency": "DEM"}, {"currency": [CURRENCY]}),
        (
            {"opening_balance": "1.234"},
            {"opening_balance": ["An amount has at most 2 decimal places."]},
        ),
        (
            {"currency": "JPY", "opening_balance": "1.5"},
            {"opening_balance": ["An amount has at most 0 decimal places."]},
        ),
        ({"balance": 1}, {"balance": READ_ONLY}),
        ({"version": 9}, {"version": READ_ONLY}),
        ({"id": SOME_ID}, {"id": READ_ONLY}),
        ({"created_at": "x"}, {"created_at": READ_ONLY}),
        ({"default": False}, {"default": ["Make another account the default instead."]}),
    ],
)
def test_patch_validates_like_post_and_changes_nothing(client, alice, body, errors):
    account = open_account(client, alice)
    assert_invalid_body(patch(client, alice, account, body), errors)
    assert get(client, alice, url(account)) == account


def test_a_rename_to_another_accounts_name_in_another_case_is_a_409(client, alice):
    savings = open_account(client, alice)
    response = patch(client, alice, main_of(client, alice), {"name": "  sAVINGS "})
    assert_problem(response, 409, "Conflict", "The account name is already taken.", NAME_TAKEN)
    assert main_of(client, alice)["name"] == "Main"
    assert get(client, alice, url(savings)) == savings


def test_if_match_with_a_stale_etag_is_a_412_and_with_the_current_one_a_200(client, alice):
    created = post_account(client, alice)
    old = created.headers["ETag"]
    first = patch(client, alice, created.get_json(), {"kind": "cash"}, **{"If-Match": old})
    assert first.status_code == 200
    stale = patch(client, alice, created.get_json(), {"name": "Other"}, **{"If-Match": old})
    assert_problem(stale, 412, "Precondition Failed", CHANGED)
    assert get(client, alice, url(created.get_json())) == first.get_json()
    current = patch(
        client, alice, created.get_json(), {"name": "Other"}, **{"If-Match": first.headers["ETag"]}
    )
    assert json_body(current)["name"] == "Other"


def test_a_currency_change_of_an_account_holding_a_transaction_is_a_409(client, alice):
    account = open_account(client, alice)
    row = add_row(client, alice, "expenses", amount=3, account_id=account["id"])
    account = get(client, alice, url(account))
    response = patch(client, alice, account, {"currency": "EUR"})
    assert_problem(
        response, 409, "Conflict", "The account holds transactions: its currency cannot change."
    )
    assert get(client, alice, url(account)) == account
    client.delete(f"/expenses/{row['id']}", headers=alice.headers)  # empty again
    assert json_body(patch(client, alice, account, {"currency": "EUR"}))["currency"] == "EUR"


# The default


def test_default_true_moves_the_default_there(client, alice):
    main = main_of(client, alice)
    savings = open_account(client, alice)
    moved = json_body(patch(client, alice, savings, {"default": True}))
    assert moved == {
        **savings,
        "default": True,
        "version": moved["version"],
        "updated_at": moved["updated_at"],
    }
    assert moved["version"] > savings["version"]
    old = get(client, alice, url(main))
    assert old == {
        **main,
        "default": False,
        "version": old["version"],
        "updated_at": old["updated_at"],
    }
    assert old["version"] > main["version"]
    assert get(client, alice, "/auth/me")["default_account_id"] == savings["id"]
    assert [a["default"] for a in get(client, alice, "/accounts")] == [False, True]
    # Main is an ordinary account now: it may be archived, then deleted.
    assert json_body(patch(client, alice, main, {"archived": True}))["archived"] is True
    assert client.delete(url(main), headers=alice.headers).status_code == 204
    # A new row without account_id goes into the new default.
    assert add_row(client, alice, "incomes")["account_id"] == savings["id"]


def test_archiving_the_default_is_a_422_naming_archived(client, alice):
    main = main_of(client, alice)
    response = patch(client, alice, main, {"archived": True})
    assert_invalid_body(response, {"archived": [CHOOSE_DEFAULT]})
    assert main_of(client, alice) == main


# Archived accounts


def test_an_archived_account_takes_no_new_row_but_is_listed_and_keeps_its_rows(client, alice):
    account = open_account(client, alice, opening_balance=1)
    row = add_row(client, alice, "incomes", amount=30, account_id=account["id"])
    archived = json_body(patch(client, alice, account, {"archived": True}))
    for collection in ("incomes", "expenses"):
        response = client.post(
            f"/{collection}", json={**ROW, "account_id": account["id"]}, headers=alice.headers
        )
        assert_invalid_body(response, {"account_id": ["The account is archived."]})
    assert archived["balance"] == 31
    assert get(client, alice, "/accounts") == [main_of(client, alice), archived]
    assert get(client, alice, f"/transactions?account_id={account['id']}") == [row]
    assert get(client, alice, f"/incomes/{row['id']}") == row


# Deleting


def test_delete_removes_an_empty_account_that_is_not_the_default(client, alice):
    account = open_account(client, alice)
    row = add_row(client, alice, "incomes", account_id=account["id"])
    client.delete(f"/incomes/{row['id']}", headers=alice.headers)  # empty again
    response = client.delete(url(account), headers=alice.headers)
    assert response.status_code == 204
    assert response.data == b""
    assert_problem(client.get(url(account), headers=alice.headers), 404, "Not Found", NOT_FOUND)
    assert get(client, alice, "/accounts") == [main_of(client, alice)]


def test_delete_refuses_the_default_and_an_account_holding_rows(client, alice):
    main = main_of(client, alice)
    assert_problem(client.delete(url(main), headers=alice.headers), 409, "Conflict", CHOOSE_DEFAULT)
    account = open_account(client, alice)
    add_row(client, alice, "expenses", account_id=account["id"])
    response = client.delete(url(account), headers=alice.headers)
    assert_problem(response, 409, "Conflict", HOLDS_ROWS)
    assert [a["id"] for a in get(client, alice, "/accounts")] == [main["id"], account["id"]]


def test_delete_honours_if_match(client, alice):
    created = post_account(client, alice)
    account = created.get_json()
    changed = patch(client, alice, account, {"kind": "cash"})
    stale = client.delete(
        url(account), headers={**alice.headers, "If-Match": created.headers["ETag"]}
    )
    assert_problem(stale, 412, "Precondition Failed", CHANGED)
    assert get(client, alice, url(account)) == changed.get_json()
    current = {**alice.headers, "If-Match": changed.headers["ETag"]}
    assert client.delete(url(account), headers=current).status_code == 204


# Another user's accounts


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_another_users_account_is_the_same_404_as_an_absent_one(client, alice, bob, method):
    theirs = open_account(client, bob)
    answers = [
        client.open(url(some_id), method=method, json={"name": "Mine"}, headers=alice.headers)
        for some_id in (theirs["id"], SOME_ID)
    ]
    for response in answers:
        assert_problem(response, 404, "Not Found", NOT_FOUND)
    assert without_request_id(answers[0]) == without_request_id(answers[1])
    assert get(client, bob, url(theirs)) == theirs


@pytest.mark.parametrize("collection", ["incomes", "expenses"])
def test_a_row_into_another_users_or_an_absent_account_is_a_422(client, alice, bob, collection):
    for some_id in (main_of(client, bob)["id"], SOME_ID):
        response = client.post(
            f"/{collection}", json={**ROW, "account_id": some_id}, headers=alice.headers
        )
        assert_invalid_body(response, {"account_id": ["The account does not exist."]})
    assert get(client, alice, "/transactions") == []
    assert get(client, bob, "/transactions") == []


@pytest.mark.parametrize("path", ["/transactions", "/incomes", "/expenses"])
def test_filtering_by_another_users_account_answers_an_empty_list(client, alice, bob, path):
    theirs = main_of(client, bob)["id"]
    add_row(client, bob, "incomes")
    add_row(client, bob, "expenses")
    add_row(client, alice, "incomes")
    add_row(client, alice, "expenses")
    for some_id in (theirs, SOME_ID):
        response = client.get(f"{path}?account_id={some_id}", headers=alice.headers)
        assert json_body(response) == []
        assert response.headers["X-Total-Count"] == "0"


def test_the_balance_of_another_users_account_is_zeros(client, alice, bob):
    theirs = main_of(client, bob)["id"]
    add_row(client, bob, "incomes", amount=5)
    add_row(client, alice, "incomes", amount=3)
    for some_id in (theirs, SOME_ID):
        response = client.get(f"/balance?account_id={some_id}", headers=alice.headers)
        assert json_body(response) == {
            "currency": "USD",
            "income": 0,
            "expenses": 0,
            "balance": 0,
            "count": 0,
        }
        assert written(response, "income") == written(response, "balance") == ["0.00"]


# Client ids and names beyond ASCII


@pytest.mark.parametrize("bad", [7, "", None, "not-a-uuid", SOME_ID.replace("-", "")])
def test_an_id_that_is_not_a_uuid_is_a_422_naming_it(client, alice, bad):
    errors = ["Field may not be null."] if bad is None else ["Not a valid UUID."]
    assert_invalid_body(post_account(client, alice, id=bad), {"id": errors})


def test_account_ids_are_unique_per_user_and_reveal_nothing(client, alice, bob):
    chosen = str(uuid.uuid4())
    mine = json_body(post_account(client, alice, id=chosen.upper()), 201)
    assert mine["id"] == chosen
    theirs = json_body(post_account(client, bob, id=chosen, name="Bob's"), 201)
    assert (theirs["id"], theirs["name"]) == (chosen, "Bob's")
    assert client.delete(url(chosen), headers=bob.headers).status_code == 204
    assert get(client, alice, url(chosen)) == mine


def test_a_deleted_accounts_id_can_be_opened_again(client, alice):
    chosen = str(uuid.uuid4())
    open_account(client, alice, id=chosen)
    assert client.delete(url(chosen), headers=alice.headers).status_code == 204
    again = json_body(post_account(client, alice, id=chosen, name="Again"), 201)
    assert (again["id"], again["name"], again["version"]) == (chosen, "Again", 4)


@pytest.mark.parametrize("name", ["é" * 64, "💶" * 64, "Ünïcödé"])
def test_a_name_counts_characters_not_bytes(client, alice, name):
    account = open_account(client, alice, name=name)
    assert get(client, alice, url(account))["name"] == name


@pytest.mark.parametrize(("first", "second"), [("épargne", "ÉPARGNE"), ("Ωmega", "ωMEGA")])
def test_names_clash_whatever_their_case_beyond_ascii(client, alice, first, second):
    open_account(client, alice, name=first)
    response = post_account(client, alice, name=second)
    assert_problem(response, 409, "Conflict", "The account name is already taken.", NAME_TAKEN)


def test_accounts_are_ordered_by_name_whatever_its_case_beyond_ascii(client, alice):
    for name in ["Ébène", "éa", "ÉZ"]:
        open_account(client, alice, name=name)
    names = [account["name"] for account in get(client, alice, "/accounts")]
    assert [name for name in names if name != "Main"] == ["éa", "Ébène", "ÉZ"]


def test_the_etag_follows_the_balance_though_the_version_does_not(client, alice):
    savings = open_account(client, alice)
    before = client.get(url(savings), headers=alice.headers).headers["ETag"]
    income = {"description": "Gift", "amount": "5", "account_id": savings["id"]}
    json_body(client.post("/incomes", json=income, headers=alice.headers), 201)

    fresh = client.get(url(savings), headers={**alice.headers, "If-None-Match": before})
    assert fresh.status_code == 200  # the body changed: its balance
    assert fresh.headers["ETag"] != before
    assert json_body(fresh)["version"] == savings["version"]
    assert (
        client.get(
            url(savings), headers={**alice.headers, "If-None-Match": fresh.headers["ETag"]}
        ).status_code
        == 304
    )
    stale = patch(client, alice, savings, {"name": "Rainy day"}, **{"If-Match": before})
    assert json_body(stale, 412)["detail"] == CHANGED


def test_the_balance_of_one_account_is_in_its_currency(client):
    eve = user_in(client, "eve", "EUR")
    card = open_account(client, eve, name="Card", kind="credit_card", currency="USD")
    spent = {"description": "Hotel", "amount": "80", "account_id": card["id"]}
    json_body(client.post("/expenses", json=spent, headers=eve.headers), 201)
    assert get(client, eve, f"/balance?account_id={card['id']}") == {
        "currency": "USD",
        "income": Decimal("0.00"),
        "expenses": Decimal("-80.00"),
        "balance": Decimal("-80.00"),
        "count": 1,
    }
    assert get(client, eve, f"/balance?account_id={card['id']}&currency=EUR")["count"] == 0
    assert get(client, eve, "/balance")["currency"] == "EUR"
