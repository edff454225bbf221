"""Safe retries with Idempotency-Key, and ETag preconditions (412, 304) on single rows."""

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from helpers import NOT_FOUND, add_row, assert_invalid_body, assert_problem
from sqlalchemy import update

from cashman.database import db
from cashman.models import IdempotencyRecord, Transaction
from cashman.stores.kept_answers import KeptAnswers
from cashman.stores.transactions import TransactionStore

ETAG = re.compile(r'"[0-9a-f]{32}"')
BODY = {"description": "pizza", "amount": "12.50", "category": "food", "date": "2026-11-20"}
CHANGED = "The transaction has changed: If-Match does not match its ETag."


def post(client, account, key, body=BODY, collection="expenses"):
    return client.post(
        f"/{collection}", json=body, headers={**account.headers, "Idempotency-Key": key}
    )


def count(client, account, collection="transactions") -> int:
    return int(client.get(f"/{collection}", headers=account.headers).headers["X-Total-Count"])


def assert_same_response(first, second) -> None:
    assert second.status_code == first.status_code == 201
    assert second.data == first.data
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["ETag"] == first.headers["ETag"]


# Idempotency-Key


def test_a_retry_with_the_same_key_and_body_replays_the_original_201(client, alice):
    first = post(client, alice, "key-1")
    assert first.status_code == 201
    assert ETAG.fullmatch(first.headers["ETag"])
    again = post(client, alice, "key-1")
    assert_same_response(first, again)
    assert count(client, alice) == 1


def test_the_same_json_sent_with_other_spacing_or_key_order_is_the_same_request(client, alice):
    first = post(client, alice, "key-1", body={"amount": 5, "description": "x"})
    again = client.post(
        "/expenses",
        data='{ "description" : "x",\n "amount": 5 }',
        headers={**alice.headers, "Idempotency-Key": "key-1", "Content-Type": "application/json"},
    )
    assert_same_response(first, again)


def test_the_replay_is_the_original_even_after_the_row_changed_or_went(client, alice):
    first = post(client, alice, "key-1")
    url = first.headers["Location"]
    client.patch(url, json={"amount": 99}, headers=alice.headers)
    assert_same_response(first, post(client, alice, "key-1"))
    client.delete(url, headers=alice.headers)
    assert_same_response(first, post(client, alice, "key-1"))
    assert count(client, alice) == 0


@pytest.mark.parametrize(
    ("body", "collection"),
    [
        ({**BODY, "amount": "12.51"}, "expenses"),
        ({**BODY, "category": None}, "expenses"),
        ({key: value for key, value in BODY.items() if key != "date"}, "expenses"),
        (BODY, "incomes"),
    ],
    ids=["other-amount", "other-category", "missing-field", "other-kind"],
)
def test_the_same_key_for_another_request_is_a_422(client, alice, body, collection):
    post(client, alice, "key-1")
    response = post(client, alice, "key-1", body=body, collection=collection)
    assert_problem(
        response,
        422,
        "Unprocessable Content",
        "This Idempotency-Key was already used for a different request.",
    )
    assert count(client, alice) == 1


def test_keys_belong_to_one_user(client, alice, bob):
    mine = post(client, alice, "shared-key")
    theirs = post(client, bob, "shared-key")
    assert theirs.status_code == 201
    assert theirs.get_json()["id"] != mine.get_json()["id"]
    assert count(client, alice) == count(client, bob) == 1


def test_a_request_that_failed_stores_nothing_and_can_be_fixed(client, alice):
    bad = post(client, alice, "key-1", body={**BODY, "amount": "1.005"})
    assert_invalid_body(bad, {"amount": ["An amount has at most 2 decimal places."]})
    fixed = post(client, alice, "key-1")
    assert fixed.status_code == 201
    assert count(client, alice) == 1


def test_without_a_key_every_post_creates_a_row(client, alice):
    for _ in range(2):
        assert client.post("/expenses", json=BODY, headers=alice.headers).status_code == 201
    assert count(client, alice) == 2


@pytest.mark.parametrize(
    "key", ["", " ", "k" * 256, "clé", "a\tb"], ids=["empty", "blank", "256", "latin1", "tab"]
)
def test_a_malformed_key_is_a_400_naming_the_header(prod_client, make_account, key):
    alice = make_account(prod_client, "alice")
    response = post(prod_client, alice, key)
    assert_problem(
        response,
        400,
        "Bad Request",
        "The request has an invalid header.",
        {"Idempotency-Key": ["Must be 1 to 255 printable ASCII characters."]},
    )
    assert count(prod_client, alice) == 0


@pytest.mark.parametrize("key", ["k" * 255, "a", "550e8400-e29b-41d4-a716-446655440000", "a b~!"])
def test_keys_of_1_to_255_printable_characters_are_accepted(client, alice, key):
    assert_same_response(post(client, alice, key), post(client, alice, key))


def age_records(app, by: timedelta) -> None:
    with app.app_context():
        db.session.execute(update(IdempotencyRecord).values(created_at=datetime.now(UTC) - by))
        db.session.commit()


def test_keys_are_kept_24_hours_then_forgotten(app, client, alice):
    first = post(client, alice, "key-1")
    age_records(app, timedelta(hours=23, minutes=59))
    assert_same_response(first, post(client, alice, "key-1"))
    age_records(app, timedelta(hours=24, seconds=1))
    fresh = post(client, alice, "key-1")
    assert fresh.status_code == 201
    assert fresh.get_json()["id"] != first.get_json()["id"]
    assert count(client, alice) == 2


def test_the_loser_of_a_race_on_one_key_gets_the_winners_response(client, alice, monkeypatch):
    first = post(client, alice, "key-1")
    replay = KeptAnswers.to_create
    calls = []

    def too_early(self, key):
        """The first lookup misses, as when the winner commits just after it."""
        calls.append(key.key)
        return None if len(calls) == 1 else replay(self, key)

    monkeypatch.setattr(KeptAnswers, "to_create", too_early)
    assert_same_response(first, post(client, alice, "key-1"))
    assert len(calls) == 2
    assert count(client, alice) == 1
    assert client.get("/balance", headers=alice.headers).get_json()["count"] == 1


def test_concurrent_requests_with_one_key_create_one_row(app, alice):
    barrier = threading.Barrier(8)
    responses = []

    def send():
        client = app.test_client()
        barrier.wait()
        responses.append(post(client, alice, "same-key"))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [response.status_code for response in responses] == [201] * 8
    assert len({response.data for response in responses}) == 1
    assert count(app.test_client(), alice) == 1


# ETags


def url_and_etag(client, account) -> tuple[str, str]:
    """A new income (amount 1) of `account`: its URL and the ETag a GET answers for it."""
    url = f"/incomes/{add_row(client, account)['id']}"
    return url, client.get(url, headers=account.headers).headers["ETag"]


def test_get_post_and_patch_carry_a_strong_etag_that_changes_with_the_row(client, alice):
    response = client.post(
        "/incomes", json={"description": "Salary", "amount": 1}, headers=alice.headers
    )
    assert response.status_code == 201
    url, created = response.headers["Location"], response.headers["ETag"]
    assert ETAG.fullmatch(created)
    got = client.get(url, headers=alice.headers)
    assert got.headers["ETag"] == created
    unchanged = client.patch(url, json={}, headers=alice.headers)
    assert unchanged.headers["ETag"] == created
    patched = client.patch(url, json={"amount": 2}, headers=alice.headers)
    assert ETAG.fullmatch(patched.headers["ETag"])
    assert patched.headers["ETag"] != created
    assert client.get(url, headers=alice.headers).headers["ETag"] == patched.headers["ETag"]


@pytest.mark.parametrize("header", ["{etag}", "*", "W/{etag}", '"other", {etag}'])
def test_if_none_match_with_the_current_etag_is_a_304(client, alice, header):
    url, etag = url_and_etag(client, alice)
    response = client.get(url, headers={**alice.headers, "If-None-Match": header.format(etag=etag)})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag


def test_if_none_match_with_an_old_etag_is_a_200(client, alice):
    url, old = url_and_etag(client, alice)
    client.patch(url, json={"amount": 2}, headers=alice.headers)
    response = client.get(url, headers={**alice.headers, "If-None-Match": old})
    assert response.status_code == 200
    assert response.get_json()["amount"] == 2


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize("header", ['"0123456789abcdef0123456789abcdef"', "W/{etag}", "{old}"])
def test_if_match_with_another_etag_is_a_412_and_changes_nothing(
    prod_client, make_account, method, header
):
    alice = make_account(prod_client, "alice")
    url, old = url_and_etag(prod_client, alice)
    current = prod_client.patch(url, json={"amount": 3}, headers=alice.headers).get_json()
    etag = prod_client.get(url, headers=alice.headers).headers["ETag"]
    response = prod_client.open(
        url,
        method=method,
        json={"amount": 4},
        headers={**alice.headers, "If-Match": header.format(etag=etag, old=old)},
    )
    assert_problem(response, 412, "Precondition Failed", CHANGED)
    assert prod_client.get(url, headers=alice.headers).get_json() == current


@pytest.mark.parametrize("header", ["{etag}", "*", '"other", {etag}'])
def test_if_match_with_the_current_etag_lets_the_change_through(client, alice, header):
    url, etag = url_and_etag(client, alice)
    headers = {**alice.headers, "If-Match": header.format(etag=etag)}
    patched = client.patch(url, json={"amount": 5}, headers=headers)
    assert patched.status_code == 200
    headers["If-Match"] = header.format(etag=patched.headers["ETag"])
    assert client.delete(url, headers=headers).status_code == 204


def test_preconditions_on_another_users_row_are_the_same_404(client, alice, bob):
    url, etag = url_and_etag(client, alice)
    for method, header in [("GET", "If-None-Match"), ("PATCH", "If-Match"), ("DELETE", "If-Match")]:
        response = client.open(url, method=method, json={}, headers={**bob.headers, header: etag})
        assert_problem(response, 404, "Not Found", NOT_FOUND)


def lose_races(monkeypatch, times: int) -> None:
    """Make another request change the row between each read and write, `times` times."""
    get, lost = TransactionStore.get, []

    def get_then_lose_the_race(self, public_id, kind):
        row = get(self, public_id, kind)
        if len(lost) < times:
            lost.append(public_id)
            with db.engine.connect() as other:  # another connection: another request
                other.execute(
                    update(Transaction)
                    .where(Transaction.public_id == public_id)
                    .values(version=Transaction.version + 1, description="theirs")
                )
                other.commit()
        return row

    monkeypatch.setattr(TransactionStore, "get", get_then_lose_the_race)


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_a_change_with_if_match_that_loses_a_race_is_a_412(
    prod_client, make_account, monkeypatch, method
):
    alice = make_account(prod_client, "alice")
    url, etag = url_and_etag(prod_client, alice)
    lose_races(monkeypatch, 1)
    headers = {**alice.headers, "If-Match": etag}
    response = prod_client.open(url, method=method, json={"description": "mine"}, headers=headers)
    assert_problem(response, 412, "Precondition Failed", CHANGED)
    assert prod_client.get(url, headers=alice.headers).get_json()["description"] == "theirs"


def test_a_change_without_if_match_that_loses_a_race_applies_to_the_fresh_row(
    prod_client, make_account, monkeypatch
):
    alice = make_account(prod_client, "alice")
    url = f"/incomes/{add_row(prod_client, alice)['id']}"
    lose_races(monkeypatch, 2)
    response = prod_client.patch(url, json={"amount": 7}, headers=alice.headers)
    assert response.status_code == 200
    assert (response.get_json()["description"], response.get_json()["amount"]) == ("theirs", 7)
    assert prod_client.get("/balance", headers=alice.headers).get_json()["income"] == 7
    assert prod_client.delete(url, headers=alice.headers).status_code == 204
    assert prod_client.get("/balance", headers=alice.headers).get_json()["count"] == 0


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_a_change_that_keeps_losing_races_is_a_409_and_changes_nothing(
    prod_client, make_account, monkeypatch, method
):
    alice = make_account(prod_client, "alice")
    url = f"/incomes/{add_row(prod_client, alice)['id']}"
    lose_races(monkeypatch, 3)
    response = prod_client.open(url, method=method, json={"amount": 9}, headers=alice.headers)
    assert_problem(
        response,
        409,
        "Conflict",
        "The transaction is being changed by other requests; try again.",
    )
    assert prod_client.get(url, headers=alice.headers).get_json()["amount"] == 1
    assert prod_client.get("/balance", headers=alice.headers).get_json()["income"] == 1
