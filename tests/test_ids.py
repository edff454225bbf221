"""Public ids: UUIDs made by the server (v7) or by the client, unique per user, never integers."""

import uuid

import pytest
from helpers import (
    NOT_FOUND,
    assert_invalid_body,
    assert_problem,
    assert_public_id,
    json_body,
)

CLASH = "You already have a transaction with this id and other content."
COFFEE = {"description": "Coffee", "amount": "3.50", "category": "food", "date": "2026-11-02"}


def create(client, account, collection="expenses", **fields):
    return client.post(f"/{collection}", json={**COFFEE, **fields}, headers=account.headers)


def rows_of(client, account) -> list[dict]:
    return json_body(client.get("/transactions", headers=account.headers))


def test_the_server_makes_lowercase_time_ordered_uuids(client, alice):
    first = json_body(create(client, alice), 201)
    second = json_body(create(client, alice), 201)
    for made in (first["id"], second["id"], alice.id):
        assert_public_id(made)
        assert uuid.UUID(made).version == 7
    assert first["id"] < second["id"]  # v7: later ids sort after earlier ones


def test_a_create_with_the_clients_id_is_answered_under_it_in_lowercase(client, alice):
    chosen = str(uuid.uuid4())
    response = create(client, alice, id=chosen.upper())
    body = json_body(response, 201)
    assert body["id"] == chosen
    assert response.headers["Location"] == f"/expenses/{chosen}"
    assert json_body(client.get(f"/expenses/{chosen.upper()}", headers=alice.headers)) == body


def test_a_retried_create_is_200_with_the_stored_row_and_changes_nothing(client, alice):
    chosen = str(uuid.uuid4())
    first = create(client, alice, id=chosen)
    knowledge = json_body(client.get("/sync", headers=alice.headers))["server_knowledge"]
    # The same row again: in upper case, with the expense's sign, amount written otherwise.
    again = create(client, alice, id=chosen.upper(), amount="-3.5")
    assert again.status_code == 200
    assert again.data == first.data
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert rows_of(client, alice) == [first.get_json()]
    assert json_body(client.get("/sync", headers=alice.headers))["server_knowledge"] == knowledge
    assert json_body(client.get("/balance", headers=alice.headers))["count"] == 1


@pytest.mark.parametrize(
    ("collection", "changed"),
    [
        ("expenses", {"description": "Tea"}),
        ("expenses", {"amount": "3.51"}),
        ("expenses", {"category": None}),
        ("expenses", {"category": "drinks"}),
        ("expenses", {"date": "2026-11-03"}),
        ("incomes", {}),  # the other kind
    ],
)
def test_the_same_id_with_other_content_is_a_409_and_changes_nothing(
    client, alice, collection, changed
):
    chosen = str(uuid.uuid4())
    stored = json_body(create(client, alice, id=chosen), 201)
    response = create(client, alice, collection, id=chosen, **changed)
    assert_problem(response, 409, "Conflict", CLASH)
    assert rows_of(client, alice) == [stored]


def test_a_create_without_category_is_not_the_row_with_one(client, alice):
    chosen = str(uuid.uuid4())
    json_body(create(client, alice, id=chosen), 201)
    without = {key: value for key, value in COFFEE.items() if key != "category"}
    response = client.post("/expenses", json={**without, "id": chosen}, headers=alice.headers)
    assert_problem(response, 409, "Conflict", CLASH)


@pytest.mark.parametrize(
    "bad",
    [
        7,
        "7",
        "",
        None,
        "not-a-uuid",
        "0192f1f47d3a7cc08a4e1d6b8c2f3e4a",  # bare hex
        "{0192f1f4-7d3a-7cc0-8a4e-1d6b8c2f3e4a}",
        "urn:uuid:0192f1f4-7d3a-7cc0-8a4e-1d6b8c2f3e4a",
        "0192f1f4-7d3a-7cc0-8a4e-1d6b8c2f3e4a ",
        "0192f1f4-7d3a-7cc0-8a4e-1d6b8c2f3e4g",
        ["0192f1f4-7d3a-7cc0-8a4e-1d6b8c2f3e4a"],
    ],
)
def test_an_id_that_is_not_a_uuid_is_a_422_naming_it(client, alice, bad):
    errors = ["Field may not be null."] if bad is None else ["Not a valid UUID."]
    assert_invalid_body(create(client, alice, id=bad), {"id": errors})
    assert rows_of(client, alice) == []


def test_ids_are_unique_per_user_and_reveal_nothing(client, alice, bob):
    chosen = str(uuid.uuid4())
    mine = json_body(create(client, alice, id=chosen), 201)
    theirs = json_body(create(client, bob, id=chosen, description="Bob's"), 201)
    assert theirs["id"] == chosen and theirs["description"] == "Bob's"
    assert rows_of(client, alice) == [mine]
    url = f"/expenses/{chosen}"
    assert json_body(client.get(url, headers=bob.headers)) == theirs
    assert client.delete(url, headers=bob.headers).status_code == 204
    assert json_body(client.get(url, headers=alice.headers)) == mine


def test_an_id_deleted_can_be_created_again(client, alice):
    chosen = str(uuid.uuid4())
    json_body(create(client, alice, id=chosen), 201)
    assert client.delete(f"/expenses/{chosen}", headers=alice.headers).status_code == 204
    assert_problem(
        client.get(f"/expenses/{chosen}", headers=alice.headers), 404, "Not Found", NOT_FOUND
    )
    again = json_body(create(client, alice, id=chosen, description="Again"), 201)
    # versions: 1 the default account (registration), 2 the create, 3 the delete
    assert (again["id"], again["description"], again["version"]) == (chosen, "Again", 4)


def test_within_a_day_the_most_recently_created_comes_first_whatever_its_id(client, alice):
    ids = ["ffffffff-ffff-4fff-bfff-ffffffffffff", "00000000-0000-4000-8000-000000000000"]
    ids += [str(uuid.uuid4()) for _ in range(4)]
    for chosen in ids:
        json_body(create(client, alice, id=chosen), 201)
    listed = [row["id"] for row in rows_of(client, alice)]
    assert listed == ids[::-1]
    paged, url = [], "/expenses?limit=2"
    while url:
        response = client.get(url, headers=alice.headers)
        paged += [row["id"] for row in json_body(response)]
        link = response.headers.get("Link")
        url = link[link.index("/expenses") : link.index(">")] if link else None
    assert paged == ids[::-1]


def test_an_idempotency_key_and_a_client_id_work_together(client, alice):
    chosen = str(uuid.uuid4())
    headers = {**alice.headers, "Idempotency-Key": "k-1"}
    first = client.post("/expenses", json={**COFFEE, "id": chosen}, headers=headers)
    replayed = client.post("/expenses", json={**COFFEE, "id": chosen}, headers=headers)
    assert (first.status_code, replayed.status_code) == (201, 201)
    assert replayed.data == first.data
    assert json_body(create(client, alice, id=chosen)) == first.get_json()  # no key: a 200
    assert len(rows_of(client, alice)) == 1


def test_no_integer_id_is_in_any_answer(client, alice):
    json_body(create(client, alice), 201)
    me = json_body(client.get("/auth/me", headers=alice.headers))
    assert_public_id(me["id"])
    for row in rows_of(client, alice):
        assert_public_id(row["id"])
