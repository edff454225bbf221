"""POST /sync's account and transfer operations, and the accounts and legs GET /sync lists.

Registration's default account (`Main`) is a user's first change (version 1). A transfer's
create, update and delete take two consecutive versions, one per leg; its result's and its
object's `version` is the higher one."""

import uuid
from collections import Counter
from decimal import Decimal

import pytest
from helpers import SOME_ID, json_body

SAVINGS, WALLET, EMPTY, MOVE, OTHER, ROW = (str(uuid.UUID(int=n, version=4)) for n in range(1, 7))
NEW_SAVINGS = {"name": "Savings", "kind": "savings", "currency": "USD"}
GIFT = {"type": "INCOME", "description": "Gift", "amount": "40.00", "date": "2026-11-02"}
LEG = "This row is part of a transfer."
ABSENT = "The account does not exist."


def upsert_account(account_id: str, **fields) -> dict:
    return {"op": "upsert_account", "id": account_id, **fields}


def upsert_transfer(transfer_id: str, **fields) -> dict:
    return {"op": "upsert_transfer", "id": transfer_id, **fields}


def delete(op: str, some_id: str, **fields) -> dict:
    return {"op": op, "id": some_id, **fields}


def send(client, account, *operations) -> dict:
    response = client.post("/sync", json={"operations": list(operations)}, headers=account.headers)
    return json_body(response)


def read(client, account, url: str, status: int = 200):
    return json_body(client.get(url, headers=account.headers), status)


def sync(client, account, **query) -> dict:
    return json_body(client.get("/sync", query_string=query, headers=account.headers))


def main_id(client, account) -> str:
    return read(client, account, "/auth/me")["default_account_id"]


def legs_of(client, account, transfer_id: str) -> list[dict]:
    """The transfer's two legs as GET /sync lists them, source first."""
    changed = sync(client, account)["changed"]
    return [row for row in changed if row["transfer_id"] == transfer_id]


def created(some_id: str, version: int) -> dict:
    return {"id": some_id, "status": "created", "version": version}


def invalid(some_id: str, errors: dict) -> dict:
    return {"id": some_id, "status": "invalid", "errors": errors}


def conflict(some_id: str, current: dict | None) -> dict:
    return {"id": some_id, "status": "conflict", "current": current}


def test_a_new_users_feed_is_its_main_account_at_version_1(client, alice):
    main = read(client, alice, f"/accounts/{main_id(client, alice)}")
    assert main == {
        "id": main["id"],
        "name": "Main",
        "kind": "checking",
        "currency": "USD",
        "opening_balance": 0,
        "balance": 0,
        "archived": False,
        "default": True,
        "version": 1,
        "created_at": main["created_at"],
        "updated_at": main["created_at"],
    }
    for query in ({"since": 0}, {"since": 0, "limit": 1}):
        assert sync(client, alice, **query) == {
            "server_knowledge": 1,
            "has_more": False,
            "changed": [],
            "deleted": [],
            "accounts": [main],
            "deleted_accounts": [],
        }
    assert sync(client, alice, since=1)["accounts"] == []


def test_a_batch_opens_an_account_then_puts_a_row_and_a_transfer_into_it(client, alice):
    main = main_id(client, alice)
    answer = send(
        client,
        alice,
        upsert_account(SAVINGS, **NEW_SAVINGS),
        {"op": "upsert", "id": ROW, **GIFT, "account_id": SAVINGS},
        upsert_transfer(
            MOVE, from_account_id=main, to_account_id=SAVINGS, amount="25.00", date="2026-11-03"
        ),
    )
    assert answer == {
        "server_knowledge": 5,
        "results": [created(SAVINGS, 2), created(ROW, 3), created(MOVE, 5)],  # legs: 4 and 5
    }
    transfer = read(client, alice, f"/transfers/{MOVE}")
    assert transfer == {
        "id": MOVE,
        "from_account_id": main,
        "to_account_id": SAVINGS,
        "amount": Decimal("25.00"),
        "to_amount": Decimal("25.00"),
        "description": "Transfer",
        "date": "2026-11-03",
        "version": 5,
        "created_at": transfer["created_at"],
        "updated_at": transfer["created_at"],
    }
    savings = read(client, alice, f"/accounts/{SAVINGS}")
    assert (savings["name"], savings["balance"], savings["version"]) == ("Savings", 65, 2)
    assert not savings["default"]
    mains = read(client, alice, f"/accounts/{main}")
    assert (mains["balance"], mains["version"]) == (-25, 1)  # its own fields did not change

    feed = sync(client, alice, since=1)
    row = read(client, alice, f"/incomes/{ROW}")
    assert (row["account_id"], row["transfer_id"], row["version"]) == (SAVINGS, None, 3)
    legs = feed["changed"][1:]
    assert feed["changed"][0] == row
    assert [
        (leg["type"], leg["account_id"], leg["amount"], leg["transfer_id"], leg["version"])
        for leg in legs
    ] == [("TRANSFER", main, -25, MOVE, 4), ("TRANSFER", SAVINGS, 25, MOVE, 5)]
    for leg in legs:
        assert (leg["description"], leg["date"], leg["category"]) == (
            "Transfer",
            "2026-11-03",
            None,
        )
    assert feed["accounts"] == [savings]
    assert (feed["server_knowledge"], feed["deleted"], feed["deleted_accounts"]) == (5, [], [])


def test_a_transfer_between_currencies_and_a_change_of_it_take_two_versions(client, alice):
    main = main_id(client, alice)
    answer = send(
        client,
        alice,
        upsert_account(WALLET, name="Wallet", kind="cash", currency="EUR"),
        upsert_transfer(
            MOVE, from_account_id=main, to_account_id=WALLET, amount=10, to_amount="9.20"
        ),
    )
    assert answer["results"] == [created(WALLET, 2), created(MOVE, 4)]
    # only the destination's amount changes: both legs still take a version each
    changed = send(client, alice, upsert_transfer(MOVE, to_amount="9.30", base_version=4))
    assert changed == {
        "server_knowledge": 6,
        "results": [{"id": MOVE, "status": "updated", "version": 6}],
    }
    transfer = read(client, alice, f"/transfers/{MOVE}")
    assert (transfer["amount"], transfer["to_amount"], transfer["version"]) == (
        10,
        Decimal("9.30"),
        6,
    )
    feed = sync(client, alice, since=4)
    assert [(leg["amount"], leg["version"]) for leg in feed["changed"]] == [
        (-10, 5),
        (Decimal("9.30"), 6),
    ]
    assert read(client, alice, f"/accounts/{WALLET}")["balance"] == Decimal("9.30")


@pytest.mark.parametrize(
    ("operation", "missing"),
    [
        (upsert_account(OTHER), ("name", "kind", "currency")),
        (upsert_account(OTHER, name="Cash"), ("kind", "currency")),
        (upsert_account(OTHER, name="Cash", kind="cash", opening_balance=5), ("currency",)),
        (upsert_transfer(OTHER), ("from_account_id", "to_account_id", "amount")),
        (
            upsert_transfer(OTHER, amount="1.00", description="x"),
            ("from_account_id", "to_account_id"),
        ),
        (upsert_transfer(OTHER, from_account_id=SAVINGS, to_account_id=SOME_ID), ("amount",)),
    ],
)
def test_a_create_missing_a_required_field_is_invalid_naming_each(
    client, alice, operation, missing
):
    answer = send(client, alice, operation, upsert_account(SAVINGS, **NEW_SAVINGS))
    errors = {name: ["Missing data for required field."] for name in missing}
    assert answer == {
        "server_knowledge": 2,
        "results": [invalid(OTHER, errors), created(SAVINGS, 2)],
    }
    assert read(client, alice, f"/accounts/{OTHER}", 404)


def test_sending_the_same_upserts_again_changes_nothing(client, alice):
    main = main_id(client, alice)
    batch = [
        upsert_account(SAVINGS, **NEW_SAVINGS, opening_balance="10.00", archived=False),
        upsert_transfer(
            MOVE, from_account_id=main, to_account_id=SAVINGS, amount="2.50", description="Move"
        ),
    ]
    assert send(client, alice, *batch)["results"] == [created(SAVINGS, 2), created(MOVE, 4)]
    before = sync(client, alice)
    unchanged = [{"id": SAVINGS, "status": "unchanged"}, {"id": MOVE, "status": "unchanged"}]
    assert send(client, alice, *batch) == {"server_knowledge": 4, "results": unchanged}
    # an update, then the same update again (its base is no longer current: it is equal)
    update = [
        upsert_account(SAVINGS, name="Rainy day", base_version=2),
        upsert_transfer(MOVE, description="Rainy", base_version=4),
    ]
    assert send(client, alice, *update)["results"] == [
        {"id": SAVINGS, "status": "updated", "version": 5},
        {"id": MOVE, "status": "updated", "version": 7},
    ]
    after = sync(client, alice)
    assert send(client, alice, *update) == {"server_knowledge": 7, "results": unchanged}
    assert sync(client, alice) == after != before


def test_an_update_from_a_stale_version_is_a_conflict_with_the_servers_object(client, alice):
    main = main_id(client, alice)
    send(
        client,
        alice,
        upsert_account(SAVINGS, **NEW_SAVINGS),  # 2
        upsert_transfer(MOVE, from_account_id=main, to_account_id=SAVINGS, amount=25),  # 3, 4
    )
    answer = send(
        client,
        alice,
        upsert_account(SAVINGS, name="Rainy day", base_version=2),  # updated: 5
        upsert_account(SAVINGS, name="Holiday", base_version=2),  # stale
        upsert_account(SAVINGS, name="Holiday"),  # no base_version: a conflict too
        delete("delete_account", SAVINGS, base_version=2),  # stale
        upsert_transfer(MOVE, description="Rainy", base_version=4),  # updated: 6, 7
        upsert_transfer(MOVE, description="Holiday", base_version=4),  # stale
        upsert_transfer(MOVE, amount=30),  # no base_version
        delete("delete_transfer", MOVE, base_version=4),  # stale
    )
    account = read(client, alice, f"/accounts/{SAVINGS}")
    transfer = read(client, alice, f"/transfers/{MOVE}")
    assert (account["name"], account["version"]) == ("Rainy day", 5)
    assert (transfer["description"], transfer["amount"], transfer["version"]) == ("Rainy", 25, 7)
    assert answer == {
        "server_knowledge": 7,
        "results": [
            {"id": SAVINGS, "status": "updated", "version": 5},
            conflict(SAVINGS, account),
            conflict(SAVINGS, account),
            conflict(SAVINGS, account),
            {"id": MOVE, "status": "updated", "version": 7},
            conflict(MOVE, transfer),
            conflict(MOVE, transfer),
            conflict(MOVE, transfer),
        ],
    }


def test_a_base_version_on_an_absent_id_is_a_conflict_with_no_current(client, alice, bob):
    main = main_id(client, alice)
    bobs = main_id(client, bob)
    send(
        client,
        alice,
        upsert_account(SAVINGS, **NEW_SAVINGS),  # 2
        upsert_transfer(MOVE, from_account_id=main, to_account_id=SAVINGS, amount=1),  # 3, 4
    )
    send(client, alice, delete("delete_transfer", MOVE))  # 5, 6
    send(client, alice, delete("delete_account", SAVINGS))  # 7
    knowledge = sync(client, alice)["server_knowledge"]
    answer = send(
        client,
        alice,
        upsert_account(SAVINGS, name="Again", base_version=2),  # deleted since
        upsert_account(OTHER, **NEW_SAVINGS, base_version=3),  # never there
        upsert_account(bobs, name="Mine", base_version=1),  # another user's: absent
        delete("delete_account", SAVINGS, base_version=2),
        delete("delete_account", bobs, base_version=1),
        upsert_transfer(MOVE, description="Again", base_version=4),
        upsert_transfer(
            OTHER, from_account_id=main, to_account_id=SAVINGS, amount=1, base_version=3
        ),
        delete("delete_transfer", MOVE, base_version=4),
        delete("delete_account", bobs),  # no base_version: already gone
        delete("delete_transfer", MOVE),
    )
    assert answer == {
        "server_knowledge": knowledge,
        "results": [
            conflict(SAVINGS, None),
            conflict(OTHER, None),
            conflict(bobs, None),
            conflict(SAVINGS, None),
            conflict(bobs, None),
            conflict(MOVE, None),
            conflict(OTHER, None),
            conflict(MOVE, None),
            {"id": bobs, "status": "unchanged"},
            {"id": MOVE, "status": "unchanged"},
        ],
    }
    assert read(client, bob, f"/accounts/{bobs}")["name"] == "Main"


def test_an_account_delete_is_refused_for_the_default_and_an_account_holding_rows(client, alice):
    main = main_id(client, alice)
    send(
        client,
        alice,
        upsert_account(SAVINGS, **NEW_SAVINGS),  # 2
        upsert_account(WALLET, name="Wallet", kind="cash", currency="USD"),  # 3
        upsert_account(EMPTY, name="Empty", kind="other", currency="USD"),  # 4
        {"op": "upsert", "id": ROW, **GIFT, "account_id": SAVINGS},  # 5
        upsert_transfer(MOVE, from_account_id=main, to_account_id=WALLET, amount=5),  # 6, 7
    )
    before = read(client, alice, "/accounts")
    default = {"id": ["Choose another default account first."]}
    holds = {"id": ["Archive it, or move its transactions first."]}
    answer = send(
        client,
        alice,
        delete("delete_account", main),
        delete("delete_account", main, base_version=1),
        delete("delete_account", SAVINGS),  # a row in it
        delete("delete_account", WALLET, base_version=3),  # a transfer's leg in it
    )
    assert answer == {
        "server_knowledge": 7,
        "results": [
            invalid(main, default),
            invalid(main, default),
            invalid(SAVINGS, holds),
            invalid(WALLET, holds),
        ],
    }
    assert read(client, alice, "/accounts") == before
    assert send(client, alice, delete("delete_account", EMPTY, base_version=4)) == {
        "server_knowledge": 8,
        "results": [{"id": EMPTY, "status": "deleted", "version": 8}],
    }
    assert read(client, alice, f"/accounts/{EMPTY}", 404)
    assert sync(client, alice, since=7)["deleted_accounts"] == [{"id": EMPTY, "version": 8}]


def test_a_legs_id_in_a_row_operation_is_invalid(client, alice):
    main = main_id(client, alice)
    send(
        client,
        alice,
        upsert_account(SAVINGS, **NEW_SAVINGS),
        upsert_transfer(MOVE, from_account_id=main, to_account_id=SAVINGS, amount=5),
    )
    source, destination = legs_of(client, alice, MOVE)
    before = sync(client, alice)
    row = {"description": "Mine now", "amount": 5}
    answer = send(
        client,
        alice,
        {"op": "upsert", "id": source["id"], "type": "EXPENSE", **row, "base_version": 3},
        {"op": "upsert", "id": destination["id"], "type": "INCOME", **row},
        delete("delete", source["id"], base_version=3),
        delete("delete", destination["id"]),
    )
    leg = {"id": [LEG]}
    assert answer == {
        "server_knowledge": 4,
        "results": [
            invalid(source["id"], leg),
            invalid(destination["id"], leg),
            invalid(source["id"], leg),
            invalid(destination["id"], leg),
        ],
    }
    assert sync(client, alice) == before


def test_a_plain_upsert_of_type_transfer_is_invalid_naming_type(client, alice):
    main = main_id(client, alice)
    send(
        client,
        alice,
        upsert_account(SAVINGS, **NEW_SAVINGS),
        upsert_transfer(MOVE, from_account_id=main, to_account_id=SAVINGS, amount=5),
    )
    leg_id = legs_of(client, alice, MOVE)[0]["id"]
    row = {"type": "TRANSFER", "description": "Moved", "amount": 5}
    answer = send(
        client,
        alice,
        {"op": "upsert", "id": OTHER, **row},
        {"op": "upsert", "id": leg_id, **row, "base_version": 3},
    )
    errors = {"type": ["A transfer's rows are written by the transfer operations only."]}
    assert answer == {
        "server_knowledge": 4,
        "results": [invalid(OTHER, errors), invalid(leg_id, errors)],
    }
    assert read(client, alice, "/transactions?type=transfer") == legs_of(client, alice, MOVE)[::-1]


# Names of accounts, resolved in the test: the caller's default, another user's default, an
# archived account of the caller's, a euro account of the caller's, an id nobody has.
ENDS = ("main", "bobs", "archived", "euro", "absent")


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"from_account_id": "bobs", "to_account_id": "main"}, {"from_account_id": [ABSENT]}),
        ({"from_account_id": "main", "to_account_id": "bobs"}, {"to_account_id": [ABSENT]}),
        ({"from_account_id": "absent", "to_account_id": "main"}, {"from_account_id": [ABSENT]}),
        (
            {"from_account_id": "main", "to_account_id": "archived"},
            {"to_account_id": ["The account is archived."]},
        ),
        (
            {"from_account_id": "main", "to_account_id": "main"},
            {"to_account_id": ["A transfer goes to another account."]},
        ),
        (
            {"from_account_id": "main", "to_account_id": "euro"},
            {"to_amount": ["Required when the accounts' currencies differ."]},
        ),
        (
            {"from_account_id": "euro", "to_account_id": "main", "amount": "1.005", "to_amount": 1},
            {"amount": ["An amount has at most 2 decimal places."]},
        ),
    ],
)
def test_a_transfer_into_an_account_it_cannot_use_is_invalid_naming_the_field(
    client, alice, bob, fields, errors
):
    accounts = {"main": main_id(client, alice), "bobs": main_id(client, bob), "absent": SOME_ID}
    send(
        client,
        alice,
        upsert_account(SAVINGS, **NEW_SAVINGS, archived=True),  # 2
        upsert_account(WALLET, name="Euros", kind="cash", currency="EUR"),  # 3
    )
    accounts |= {"archived": SAVINGS, "euro": WALLET}
    named = {key: accounts.get(value, value) for key, value in fields.items()}
    answer = send(client, alice, upsert_transfer(MOVE, **{"amount": 1, **named}))
    assert answer == {"server_knowledge": 3, "results": [invalid(MOVE, errors)]}
    assert read(client, alice, f"/transfers/{MOVE}", 404)
    bobs = read(client, bob, "/accounts")
    assert [(account["balance"], account["version"]) for account in bobs] == [(0, 1)]


def test_a_change_or_a_row_naming_another_users_account_is_invalid(client, alice, bob):
    main, bobs = main_id(client, alice), main_id(client, bob)
    send(
        client,
        alice,
        upsert_account(SAVINGS, **NEW_SAVINGS),
        upsert_transfer(MOVE, from_account_id=main, to_account_id=SAVINGS, amount=5),  # 3, 4
    )
    answer = send(
        client,
        alice,
        upsert_transfer(MOVE, to_account_id=bobs, base_version=4),
        upsert_transfer(MOVE, from_account_id=bobs, base_version=4),
        {"op": "upsert", "id": ROW, **GIFT, "account_id": bobs},
    )
    assert answer == {
        "server_knowledge": 4,
        "results": [
            invalid(MOVE, {"to_account_id": [ABSENT]}),
            invalid(MOVE, {"from_account_id": [ABSENT]}),
            invalid(ROW, {"account_id": [ABSENT]}),
        ],
    }
    assert read(client, alice, f"/transfers/{MOVE}")["version"] == 4


def test_account_changes_that_the_routes_refuse_are_invalid(client, alice):
    main = main_id(client, alice)
    send(
        client,
        alice,
        upsert_account(SAVINGS, **NEW_SAVINGS),  # 2
        upsert_account(WALLET, name="Wallet", kind="cash", currency="USD"),  # 3
        {"op": "upsert", "id": ROW, **GIFT, "account_id": SAVINGS},  # 4
    )
    answer = send(
        client,
        alice,
        upsert_account(WALLET, name="SAVINGS", base_version=3),
        upsert_account(OTHER, name=" savings ", kind="cash", currency="USD"),
        upsert_account(SAVINGS, currency="EUR", base_version=2),
        upsert_account(SAVINGS, default=False, base_version=2),
        upsert_account(main, archived=True, base_version=1),
        upsert_account(OTHER, name="Marks", kind="cash", currency="DEM"),
        upsert_account(OTHER, name="Euros", kind="bank", currency="eur"),
    )
    taken = {"name": ["You already have an account with this name."]}
    not_active = "Not an active ISO 4217 currency code in upper case, such as USD or EUR."
    kinds = "Must be one of: checking, savings, credit_card, cash, investment, loan, other."
    assert answer == {
        "server_knowledge": 4,
        "results": [
            invalid(WALLET, taken),
            invalid(OTHER, taken),
            invalid(
                SAVINGS,
                {"currency": ["The account holds transactions: its currency cannot change."]},
            ),
            invalid(SAVINGS, {"default": ["Make another account the default instead."]}),
            invalid(main, {"archived": ["Choose another default account first."]}),
            invalid(OTHER, {"currency": [not_active]}),
            invalid(OTHER, {"kind": [kinds], "currency": [not_active]}),
        ],
    }


def test_an_account_update_keeps_the_fields_it_leaves_out(client, alice):
    """As a row's upsert keeps an absent category and date: an absent opening balance or
    archived flag is the stored one, not POST's default."""
    send(
        client,
        alice,
        upsert_account(SAVINGS, **NEW_SAVINGS, opening_balance="10.00", archived=True),  # 2
    )
    opened = read(client, alice, f"/accounts/{SAVINGS}")
    assert (opened["opening_balance"], opened["archived"], opened["balance"]) == (10, True, 10)
    answer = send(client, alice, upsert_account(SAVINGS, name="Rainy day", base_version=2))
    assert answer["results"] == [{"id": SAVINGS, "status": "updated", "version": 3}]
    account = read(client, alice, f"/accounts/{SAVINGS}")
    assert (account["name"], account["opening_balance"], account["archived"]) == (
        "Rainy day",
        10,
        True,
    )
    assert account["balance"] == 10


def test_default_true_moves_the_default_and_both_accounts_change(client, alice):
    main = main_id(client, alice)
    send(client, alice, upsert_account(SAVINGS, **NEW_SAVINGS))  # 2
    answer = send(client, alice, upsert_account(SAVINGS, default=True, base_version=2))
    # the old default loses it (3), then the new one takes it (4)
    assert answer == {
        "server_knowledge": 4,
        "results": [{"id": SAVINGS, "status": "updated", "version": 4}],
    }
    accounts = {account["id"]: account for account in read(client, alice, "/accounts")}
    assert [(accounts[key]["default"], accounts[key]["version"]) for key in (main, SAVINGS)] == [
        (False, 3),
        (True, 4),
    ]
    assert main_id(client, alice) == SAVINGS
    assert sync(client, alice, since=2)["accounts"] == [accounts[main], accounts[SAVINGS]]


def test_an_account_opened_as_the_default_is_the_default_or_refused(client, alice):
    """`default: true` on a create is not dropped: the new account is the default (or the
    operation is invalid naming `default`), never an account the client thinks is the
    default and the server does not."""
    main = main_id(client, alice)
    answer = send(client, alice, upsert_account(SAVINGS, **NEW_SAVINGS, default=True))
    if answer["results"][0]["status"] == "invalid":
        assert answer["results"][0]["errors"].keys() == {"default"}
        assert main_id(client, alice) == main
    else:
        assert answer["results"] == [created(SAVINGS, answer["server_knowledge"])]
        assert main_id(client, alice) == SAVINGS
        assert not read(client, alice, f"/accounts/{main}")["default"]


def test_deleted_transfers_and_accounts_are_tombstones_in_the_feed(client, alice):
    main = main_id(client, alice)
    send(
        client,
        alice,
        upsert_account(SAVINGS, **NEW_SAVINGS),  # 2
        upsert_transfer(MOVE, from_account_id=main, to_account_id=SAVINGS, amount=5),  # 3, 4
    )
    source, destination = legs_of(client, alice, MOVE)
    answer = send(client, alice, delete("delete_transfer", MOVE, base_version=4))
    assert answer == {
        "server_knowledge": 6,
        "results": [{"id": MOVE, "status": "deleted", "version": 6}],  # the legs: 5 and 6
    }
    assert read(client, alice, f"/transfers/{MOVE}", 404)
    assert send(client, alice, delete("delete_account", SAVINGS, base_version=2)) == {
        "server_knowledge": 7,
        "results": [{"id": SAVINGS, "status": "deleted", "version": 7}],
    }
    mains = read(client, alice, "/accounts")
    assert [(account["id"], account["balance"]) for account in mains] == [(main, 0)]
    tombstones = {
        "deleted": [
            {"id": source["id"], "type": "TRANSFER", "version": 5},
            {"id": destination["id"], "type": "TRANSFER", "version": 6},
        ],
        "deleted_accounts": [{"id": SAVINGS, "version": 7}],
    }
    assert sync(client, alice, since=4) == {
        "server_knowledge": 7,
        "has_more": False,
        "changed": [],
        "accounts": [],
        **tombstones,
    }
    assert sync(client, alice) == {
        "server_knowledge": 7,
        "has_more": False,
        "changed": [],
        "accounts": mains,
        **tombstones,
    }


def test_one_batch_may_empty_an_account_then_delete_it(client, alice):
    """Each operation on its own: deleting an account's transfer and its row, then the account,
    in one batch, is three results (the account's running totals go with it)."""
    main = main_id(client, alice)
    send(
        client,
        alice,
        upsert_account(SAVINGS, **NEW_SAVINGS),  # 2
        {"op": "upsert", "id": ROW, **GIFT, "account_id": SAVINGS},  # 3
        upsert_transfer(MOVE, from_account_id=main, to_account_id=SAVINGS, amount=5),  # 4, 5
    )
    response = client.post(
        "/sync",
        json={
            "operations": [
                delete("delete_transfer", MOVE),
                delete("delete", ROW),
                delete("delete_account", SAVINGS),
            ]
        },
        headers=alice.headers,
    )
    assert json_body(response) == {
        "server_knowledge": 9,
        "results": [
            {"id": MOVE, "status": "deleted", "version": 7},
            {"id": ROW, "status": "deleted", "version": 8},
            {"id": SAVINGS, "status": "deleted", "version": 9},
        ],
    }
    assert [account["id"] for account in read(client, alice, "/accounts")] == [main]


def test_one_batch_may_open_fill_empty_and_delete_an_account(client, alice):
    main = main_id(client, alice)
    answer = send(
        client,
        alice,
        upsert_account(WALLET, name="Trip", kind="cash", currency="USD"),  # 2
        upsert_transfer(MOVE, from_account_id=main, to_account_id=WALLET, amount=5),  # 3, 4
        delete("delete_transfer", MOVE),  # 5, 6
        delete("delete_account", WALLET),  # 7
    )
    assert answer["results"] == [
        created(WALLET, 2),
        created(MOVE, 4),
        {"id": MOVE, "status": "deleted", "version": 6},
        {"id": WALLET, "status": "deleted", "version": 7},
    ]
    assert read(client, alice, f"/accounts/{main}")["balance"] == 0


def test_paging_the_feed_yields_every_account_row_and_tombstone_once(client, alice):
    main = main_id(client, alice)
    ids = [str(uuid.UUID(int=100 + n, version=4)) for n in range(12)]
    a1, a2, a3, t1, t2, *rows = ids
    send(
        client,
        alice,
        upsert_account(a1, name="One", kind="savings", currency="USD"),
        upsert_account(a2, name="Two", kind="cash", currency="USD", opening_balance=3),
        upsert_account(a3, name="Three", kind="other", currency="EUR"),
        *[
            {"op": "upsert", "id": key, **GIFT, "amount": n + 1, "account_id": (main, a1)[n % 2]}
            for n, key in enumerate(rows)
        ],
        upsert_transfer(t1, from_account_id=main, to_account_id=a1, amount=4),
        upsert_transfer(t2, from_account_id=a1, to_account_id=a2, amount=2),
    )
    knowledge = sync(client, alice)["server_knowledge"]
    later = send(
        client,
        alice,
        upsert_account(a1, name="First", base_version=2),
        {"op": "upsert", "id": rows[0], **GIFT, "amount": 9},
        delete("delete", rows[1]),
        upsert_transfer(t1, amount=6),
        delete("delete_transfer", t2),
        delete("delete_account", a3),
        upsert_account(a2, default=True, base_version=3),
    )
    assert [result["status"] for result in later["results"]] == [
        "updated",
        "conflict",  # no base_version
        "deleted",
        "conflict",
        "deleted",
        "deleted",
        "updated",
    ]
    whole = sync(client, alice, limit=1000)
    assert whole["server_knowledge"] == knowledge + 7  # t2's delete and the default: two each
    everything = Counter(
        (side, entry["id"], entry["version"])
        for side in ("accounts", "changed", "deleted", "deleted_accounts")
        for entry in whole[side]
    )
    assert len(whole["accounts"]) == 3 and len(whole["deleted_accounts"]) == 1
    assert len(whole["changed"]) == 6 + 2 and len(whole["deleted"]) == 1 + 2
    for limit in (1, 2, 3, 5, 8):
        seen, since, has_more = Counter(), 0, True
        while has_more:
            page = sync(client, alice, since=since, limit=limit)
            entries = [
                (side, entry["id"], entry["version"])
                for side in ("accounts", "changed", "deleted", "deleted_accounts")
                for entry in page[side]
            ]
            versions = sorted(version for _, _, version in entries)
            assert all(since < version <= page["server_knowledge"] for version in versions)
            if page["has_more"]:
                assert len(entries) == limit and versions[-1] == page["server_knowledge"]
            else:
                assert (
                    len(entries) <= limit and page["server_knowledge"] == whole["server_knowledge"]
                )
            seen.update(entries)
            since, has_more = page["server_knowledge"], page["has_more"]
        assert seen == everything, limit
    assert whole["accounts"] == read(client, alice, "/accounts")
    listed = read(client, alice, "/transactions?limit=100")
    assert sorted(whole["changed"], key=lambda row: row["id"]) == sorted(
        listed, key=lambda row: row["id"]
    )


def test_another_users_account_id_is_an_id_the_caller_does_not_have(client, alice, bob):
    bobs = main_id(client, bob)
    answer = send(client, alice, upsert_account(bobs, name="Mine", kind="cash", currency="EUR"))
    assert answer == {"server_knowledge": 2, "results": [created(bobs, 2)]}
    assert read(client, alice, f"/accounts/{bobs}")["name"] == "Mine"
    theirs = read(client, bob, f"/accounts/{bobs}")
    assert (theirs["name"], theirs["currency"], theirs["version"]) == ("Main", "USD", 1)
    assert sync(client, bob)["server_knowledge"] == 1


def test_a_conflict_shows_the_balance_the_batchs_earlier_rows_made(client, alice):
    send(client, alice, upsert_account(WALLET, name="Wallet", kind="cash", currency="USD"))
    answer = send(
        client,
        alice,
        {"op": "upsert", "id": ROW, **GIFT, "account_id": WALLET},
        upsert_account(WALLET, name="Purse"),  # no base_version: a conflict
    )
    wallet = read(client, alice, f"/accounts/{WALLET}")
    assert wallet["balance"] == Decimal("40.00")
    assert answer["results"] == [created(ROW, 3), conflict(WALLET, wallet)]
