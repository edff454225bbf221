"""Offline devices on POST /sync and GET /sync: two devices' random offline edits converge on
the server's rows; concurrent batches lose no change and hand out each version exactly once.

Version 1 of every user is registration's default account (not listed by GET /sync yet), so the
writes of rows take the versions from 2 up."""

import json
import random
import re
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

import httpx
import pytest
from helpers import json_body
from live import new_user

KINDS = ("INCOME", "EXPENSE")
COLLECTIONS = {"INCOME": "incomes", "EXPENSE": "expenses"}
CONTENT = ("description", "amount", "category", "date")
WRITES = ("created", "updated", "deleted")
CURRENCY = "USD"  # the default account's: DEFAULT_CURRENCY unless set


def random_fields(rng: random.Random, kind: str, label: str, whole: bool = False) -> dict:
    """Valid content for a row of `kind`: an expense's amount has either sign; `date` is
    sometimes left out, unless `whole`."""
    sign = rng.choice((1, -1)) if kind == "EXPENSE" else 1
    fields = {"description": label, "amount": str(sign * Decimal(rng.randint(1, 99999)) / 100)}
    fields["category"] = rng.choice([None, "food", "rent", "travel"])
    if whole or rng.random() < 0.5:
        fields["date"] = rng.choice(["2026-01-15", "2026-06-30", "2026-11-02"])
    return fields


def new_upsert(rng: random.Random, label: str, whole: bool = False) -> dict:
    """An upsert creating a row of a random kind under a new (seeded) id."""
    kind, key = rng.choice(KINDS), str(uuid.UUID(int=rng.getrandbits(128), version=4))
    op = {"op": "upsert", "id": key, "type": kind}
    return op | random_fields(rng, kind, label, whole)


def stored(op: dict) -> dict:
    """An upsert's content as the server keeps it: an expense's amount negative."""
    amount = Decimal(op["amount"])
    amount = -abs(amount) if op["type"] == "EXPENSE" else amount
    return {**{name: op[name] for name in CONTENT if name in op}, "amount": amount}


def check_batch(ops: list[dict], answer: dict) -> None:
    """One result per operation, in order, none invalid; the batch's writes took the versions
    just below its `server_knowledge`, one each, in the operations' order."""
    results = answer["results"]
    assert [result["id"] for result in results] == [op["id"] for op in ops]
    assert all(result["status"] != "invalid" for result in results), results
    written = [result["version"] for result in results if result["status"] in WRITES]
    top = answer["server_knowledge"]
    assert written == list(range(top - len(written) + 1, top + 1))


# Two offline devices and a web client, through the Flask test client


@dataclass
class Device:
    name: str
    rng: random.Random
    rows: dict[str, dict] = field(default_factory=dict)
    since: int = 0
    outbox: list[dict] = field(default_factory=list)
    intent: dict[str, dict] = field(default_factory=dict)  # each queued upsert's row content
    wrote: dict[int, dict] = field(default_factory=dict)  # ... by the version it was given


def change_offline(device: Device, step: int) -> None:
    """Make 1 to 4 local changes, each queued as an operation: creates under the device's own
    ids, edits and deletes (at the row's version) of synced rows with nothing queued."""
    rng = device.rng
    for n in range(rng.randint(1, 4)):
        queued = {op["id"] for op in device.outbox}
        synced = sorted(key for key, row in device.rows.items() if "version" in row)
        synced = [key for key in synced if key not in queued]
        label, choice = f"{device.name} {step}.{n}", rng.random()
        if choice < 0.4 or not synced:
            op = new_upsert(rng, label)
            queue_upsert(device, op, {"id": op["id"], "type": op["type"]})
        elif choice < 0.8:
            row = device.rows[rng.choice(synced)]
            edit = random_fields(rng, row["type"], label).items()
            op = {"op": "upsert", "type": row["type"], "description": row["description"]}
            op |= {name: value for name, value in edit if rng.random() < 0.6}  # absent: kept
            amount = str(op.get("amount", row["amount"]))
            op |= {"id": row["id"], "amount": amount, "base_version": row["version"]}
            queue_upsert(device, op, row)
        else:
            row = device.rows.pop(rng.choice(synced))
            device.outbox.append({"op": "delete", "id": row["id"], "base_version": row["version"]})


def queue_upsert(device: Device, op: dict, base: dict) -> None:
    """Queue an upsert; the device's row becomes `base` with the upsert's fields."""
    row = device.rows[op["id"]] = {**base, **stored(op)}
    device.intent[op["id"]] = {name: row[name] for name in CONTENT if name in row}
    device.outbox.append(op)


def come_online(client, headers, device: Device, seen: list[dict], retry_share: float) -> None:
    """Send the outbox, then pull every page after `since`. A conflict adopts the server's
    row (or drops it); for `retry_share` of them the device re-applies its change on that row,
    in its next batch."""
    outbox, device.outbox = device.outbox, []
    if outbox:
        answer = json_body(client.post("/sync", json={"operations": outbox}, headers=headers))
        check_batch(outbox, answer)
        for op, result in zip(outbox, answer["results"], strict=True):
            seen.append(result)
            if result["status"] in ("created", "updated"):
                device.rows[op["id"]]["version"] = result["version"]
                device.wrote[result["version"]] = device.intent[op["id"]]
            elif result["status"] == "conflict":
                current = device.rows[op["id"]] = result["current"]
                if current is None:
                    del device.rows[op["id"]]
                elif device.rng.random() < retry_share:
                    again = {**op, "base_version": current["version"]}
                    if op["op"] == "delete":
                        del device.rows[op["id"]]
                        device.outbox.append(again)
                    else:
                        queue_upsert(device, again, current)
    has_more = True
    while has_more:
        query = {"since": device.since, "limit": device.rng.randint(1, 15)}
        page = json_body(client.get("/sync", query_string=query, headers=headers))
        for row in page["changed"]:  # the device's own writes hold what it meant
            expected = device.wrote.get(row["version"], {})
            assert {name: row[name] for name in expected} == expected, (row, expected)
            device.rows[row["id"]] = row
        for tombstone in page["deleted"]:
            device.rows.pop(tombstone["id"], None)
        device.since, has_more = page["server_knowledge"], page["has_more"]


def server_rows(client, headers) -> dict[str, dict]:
    """Every row, by id, as GET /transactions lists them, following the `Link` pages."""
    rows, url = {}, "/transactions?limit=40"
    while url:
        response = client.get(url, headers=headers)
        rows.update((row["id"], row) for row in json_body(response))
        link = response.headers.get("Link")
        url = link and re.fullmatch(r'<([^>]+)>; rel="next"', link).group(1)
    return rows


def web_write(client, headers, rng: random.Random, step: int, seen: list[dict]) -> None:
    """A third party creates, changes or deletes a row through the plain routes; the version
    of a delete (a 204) is read from the feed, where it must be the only change."""
    rows, label, choice = list(server_rows(client, headers).values()), f"web {step}", rng.random()
    if choice < 0.4 or not rows:
        kind = rng.choice(KINDS)
        body = random_fields(rng, kind, label)
        answer = client.post(f"/{COLLECTIONS[kind]}", json=body, headers=headers)
        seen.append({"status": "web", "version": json_body(answer, 201)["version"]})
        return
    row = rng.choice(rows)
    url = f"/{COLLECTIONS[row['type']]}/{row['id']}"
    if choice < 0.8:
        answer = client.patch(url, json={"description": label}, headers=headers)
        seen.append({"status": "web", "version": json_body(answer)["version"]})
        return
    known = max((result["version"] for result in seen if "version" in result), default=0)
    assert client.delete(url, headers=headers).status_code == 204
    feed = json_body(client.get("/sync", query_string={"since": known}, headers=headers))
    assert (feed["changed"], [entry["id"] for entry in feed["deleted"]]) == ([], [row["id"]])
    seen.append({"status": "web", "version": feed["deleted"][0]["version"]})


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_two_offline_devices_converge(client, alice, seed):
    """A phone and a tablet of one user take turns going offline, queueing changes, and coming
    back to send them and pull; the web writes in between, so some of their changes conflict.
    Once both have synced, each holds exactly the server's rows, and every version up to the
    counter went to exactly one write the server answered."""
    rng, seen = random.Random(seed), []
    devices = [Device(name, random.Random(f"{seed} {name}")) for name in ("phone", "tablet")]
    for step in range(150):
        device = rng.choice(devices)
        if rng.random() < 0.6:
            change_offline(device, step)
        else:
            come_online(client, alice.headers, device, seen, retry_share=0.5)
        if rng.random() < 0.25:
            web_write(client, alice.headers, rng, step, seen)
    for share in (0.5, 0.0, 0.0):  # the last re-applied changes go out, then both pull
        for device in devices:
            come_online(client, alice.headers, device, seen, retry_share=share)

    expected = server_rows(client, alice.headers)
    feed = json_body(client.get("/sync?since=0&limit=1000", headers=alice.headers))
    assert not feed["has_more"] and {row["id"]: row for row in feed["changed"]} == expected
    assert [device.rows for device in devices] == [expected, expected]
    knowledge = feed["server_knowledge"]
    assert [device.since for device in devices] == [knowledge, knowledge]
    versions = sorted(result["version"] for result in seen if "version" in result)
    assert versions == list(range(2, knowledge + 1))  # 1: the default account
    statuses = Counter(result["status"] for result in seen)
    assert all(statuses[status] > 0 for status in ("conflict", "web", *WRITES)), statuses


# Two devices sending batches at once to a real server


def decoded(response: httpx.Response):
    """The JSON body of a 200, amounts as exact decimals."""
    assert response.status_code == 200, response.text
    return json.loads(response.text, parse_float=Decimal)


def send_batches(base: str, token: str, n: int, shared: dict, start: threading.Barrier) -> list:
    """Device `n`: 15 batches of 20 operations, creates of its own ids (a few sent again) and
    edits or deletes of the shared rows at the versions it last saw; (op, result) pairs."""
    rng, sent, creates = random.Random(f"device {n}"), [], []
    known = {key: version for key, (_, version) in shared.items()}
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=auth, timeout=httpx.Timeout(30)) as http:
        start.wait(timeout=30)
        for batch in range(15):
            ops = []
            for i in range(20):
                targets = sorted(key for key, version in known.items() if version is not None)
                label, choice = f"device {n} batch {batch} op {i}", rng.random()
                if choice < 0.05 and creates:
                    ops.append(rng.choice(creates))  # a retry: changes nothing
                elif choice < 0.6 or not targets:
                    creates.append(new_upsert(rng, label, whole=True))
                    ops.append(creates[-1])
                elif choice < 0.96:
                    kind = shared[key := rng.choice(targets)][0]
                    op = {"op": "upsert", "id": key, "type": kind, "base_version": known[key]}
                    ops.append(op | random_fields(rng, kind, label, whole=True))
                else:
                    key = rng.choice(targets)
                    ops.append({"op": "delete", "id": key, "base_version": known[key]})
            answer = decoded(http.post("/sync", json={"operations": ops}))
            check_batch(ops, answer)
            for op, result in zip(ops, answer["results"], strict=True):
                sent.append((op, result))
                if result["status"] in ("updated", "deleted"):
                    known[op["id"]] = result["version"] if result["status"] == "updated" else None
                elif result["status"] == "conflict":
                    known[op["id"]] = result["current"] and result["current"]["version"]
    return sent


def test_concurrent_batches_never_lose_a_change_or_reuse_a_version(server_on_test_database):
    """Two devices of one user send batches at once through gunicorn (two workers), editing
    shared rows from stale copies: each change lands once under its own version, the counter
    has no gap, the last write of each row wins, and the running totals match the rows."""
    rng = random.Random(2026)
    setup = [new_upsert(rng, f"shared {n}", whole=True) for n in range(12)]
    with server_on_test_database() as server:
        token = new_user(server.base)
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.base, headers=auth, timeout=httpx.Timeout(30)) as http:
            answer = decoded(http.post("/sync", json={"operations": setup}))
            check_batch(setup, answer)
            setup = list(zip(setup, answer["results"], strict=True))
            shared = {op["id"]: (op["type"], result["version"]) for op, result in setup}
            start = threading.Barrier(2)
            with ThreadPoolExecutor(2) as pool:
                work = [(server.base, token, n, shared, start) for n in (0, 1)]
                devices = [pool.submit(send_batches, *arguments) for arguments in work]
                sent = [pair for device in devices for pair in device.result(timeout=300)]
            feed = decoded(http.get("/sync", params={"since": 0, "limit": 1000}))
            totals = decoded(http.get("/balance"))

    statuses = Counter(result["status"] for _, result in sent)
    assert all(statuses[status] > 0 for status in ("conflict", "unchanged", *WRITES)), statuses
    versions = sorted(result["version"] for _, result in setup + sent if result["status"] in WRITES)
    # each once, no gap (1 is the default account, made at registration)
    assert versions == list(range(2, feed["server_knowledge"] + 1))
    for key in {op["id"] for op, _ in sent} - shared.keys():  # created once, then unchanged
        again = sorted(result["status"] for op, result in sent if op["id"] == key)
        assert again == ["created"] + ["unchanged"] * (len(again) - 1), (key, again)
    last = {}  # each row's write of the highest version: what the server must hold
    for op, result in setup + sent:
        if result["status"] in WRITES and result["version"] > last.get(op["id"], (0, 0))[1]:
            last[op["id"]] = (op, result["version"])
    held = {row["id"]: {k: row[k] for k in (*CONTENT, "version")} for row in feed["changed"]}
    assert not feed["has_more"] and len(held) == len(feed["changed"])
    assert held == {k: {**stored(op), "version": v} for k, (op, v) in last.items() if "type" in op}
    gone = {k: v for k, (op, v) in last.items() if "type" not in op}  # deleted last
    assert {tombstone["id"]: tombstone["version"] for tombstone in feed["deleted"]} == gone
    income = sum(row["amount"] for row in feed["changed"] if row["type"] == "INCOME")
    expenses = sum(row["amount"] for row in feed["changed"] if row["type"] == "EXPENSE")
    count, balance = len(held), income + expenses
    assert totals == {
        "income": income,
        "expenses": expenses,
        "balance": balance,
        "count": count,
        "currency": CURRENCY,
    }
