"""Offline devices on POST /sync and GET /sync: two devices' random offline edits of rows,
accounts and transfers converge on the server's; concurrent batches lose no change and hand
out each version exactly once.

Version 1 of every user is registration's default account (`Main`), so the writes take the
versions from 2 up. A transfer's write takes two consecutive versions, one per leg (its
result's `version` is the higher, the destination leg's)."""

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
ROW_CONTENT = (*CONTENT, "account_id")  # what an offline device's upserts may name
WRITES = ("created", "updated", "deleted")
CURRENCY = "USD"  # the default account's: DEFAULT_CURRENCY unless set
CURRENCIES = ("USD", "EUR")
ACCOUNT_KINDS = ("checking", "savings", "credit_card", "cash")
ACCOUNT_CONTENT = ("name", "kind", "currency", "opening_balance", "archived")
TRANSFER_CONTENT = ("from_account_id", "to_account_id", "amount", "to_amount", "description")
TRANSFER_OPS = ("upsert_transfer", "delete_transfer")
DATES = ("2026-01-15", "2026-06-30", "2026-11-02")


def random_fields(rng: random.Random, kind: str, label: str, whole: bool = False) -> dict:
    """Valid content for a row of `kind`: an expense's amount has either sign; `date` is
    sometimes left out, unless `whole`."""
    sign = rng.choice((1, -1)) if kind == "EXPENSE" else 1
    fields = {"description": label, "amount": str(sign * Decimal(rng.randint(1, 99999)) / 100)}
    fields["category"] = rng.choice([None, "food", "rent", "travel"])
    if whole or rng.random() < 0.5:
        fields["date"] = rng.choice(DATES)
    return fields


def new_upsert(
    rng: random.Random, label: str, whole: bool = False, account_id: str | None = None
) -> dict:
    """An upsert creating a row of a random kind under a new (seeded) id (in `account_id`,
    if given; else the default account)."""
    kind, key = rng.choice(KINDS), str(uuid.UUID(int=rng.getrandbits(128), version=4))
    op = {"op": "upsert", "id": key, "type": kind}
    if account_id is not None:
        op["account_id"] = account_id
    return op | random_fields(rng, kind, label, whole)


def stored(op: dict) -> dict:
    """An upsert's content as the server keeps it: an expense's amount negative."""
    amount = Decimal(op["amount"])
    amount = -abs(amount) if op["type"] == "EXPENSE" else amount
    return {**{name: op[name] for name in ROW_CONTENT if name in op}, "amount": amount}


def versions_taken(op: dict, result: dict) -> list[int]:
    """The versions a write took: a transfer's, one per leg, end at its result's."""
    version = result["version"]
    return [version - 1, version] if op["op"] in TRANSFER_OPS else [version]


def check_batch(ops: list[dict], answer: dict) -> None:
    """One result per operation, in order, none invalid; the batch's writes took the versions
    just below its `server_knowledge` (a transfer's two), in the operations' order."""
    results = answer["results"]
    assert [result["id"] for result in results] == [op["id"] for op in ops]
    assert all(result["status"] != "invalid" for result in results), results
    written = [
        version
        for op, result in zip(ops, results, strict=True)
        if result["status"] in WRITES
        for version in versions_taken(op, result)
    ]
    top = answer["server_knowledge"]
    assert written == list(range(top - len(written) + 1, top + 1))


def new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def money(rng: random.Random) -> Decimal:
    return Decimal(rng.randint(1, 99999)) / 100


def transfers_of(rows: dict[str, dict]) -> dict[str, dict]:
    """The transfers whose two legs are among `rows`, as GET /transfers answers them: the
    source leg (negative) gives its account, dates and times, the destination its own."""
    legs: dict[str, dict[bool, dict]] = {}
    for row in rows.values():
        if row["type"] == "TRANSFER":
            legs.setdefault(row["transfer_id"], {})[row["amount"] < 0] = row
    transfers = {}
    for key, pair in legs.items():
        if len(pair) < 2:
            continue
        source, destination = pair[True], pair[False]
        transfers[key] = {
            "id": key,
            "from_account_id": source["account_id"],
            "to_account_id": destination["account_id"],
            "amount": -source["amount"],
            "to_amount": destination["amount"],
            "description": source["description"],
            "date": source["date"],
            "version": max(source["version"], destination["version"]),
            "created_at": source["created_at"],
            "updated_at": source["updated_at"],
        }
    return transfers


def with_balances(accounts: dict[str, dict], rows: dict[str, dict]) -> dict[str, dict]:
    """The accounts with the balances their rows make (the feed's are read when it answers)."""
    balances = {key: account["opening_balance"] for key, account in accounts.items()}
    for row in rows.values():
        balances[row["account_id"]] += row["amount"]
    return {key: {**account, "balance": balances[key]} for key, account in accounts.items()}


# Two offline devices and a web client, through the Flask test client


@dataclass
class Device:
    name: str
    rng: random.Random
    rows: dict[str, dict] = field(default_factory=dict)  # transfers' legs among them
    accounts: dict[str, dict] = field(default_factory=dict)
    since: int = 0
    outbox: list[dict] = field(default_factory=list)
    intent: dict[str, dict] = field(default_factory=dict)  # each queued upsert's content
    wrote: dict[int, dict] = field(default_factory=dict)  # ... of a row (a leg) by version
    wrote_accounts: dict[int, dict] = field(default_factory=dict)  # ... of an account


def change_offline(device: Device, step: int) -> None:
    """Make 1 to 4 local changes, each queued as an operation: creates under the device's own
    ids (rows into a known account or the default; accounts; transfers between two known
    accounts), and edits and deletes (at their version) of synced rows, accounts and
    transfers with nothing queued."""
    rng = device.rng
    for n in range(rng.randint(1, 4)):
        queued = {op["id"] for op in device.outbox}
        synced = sorted(
            key
            for key, row in device.rows.items()
            if "version" in row and row["type"] != "TRANSFER" and key not in queued
        )
        accounts = sorted(key for key, account in device.accounts.items() if "version" in account)
        accounts = [key for key in accounts if key not in queued]
        moves = {key: move for key, move in transfers_of(device.rows).items() if key not in queued}
        label, choice = f"{device.name} {step}.{n}", rng.random()
        if choice < 0.08:
            open_account(device, label)
        elif choice < 0.14 and accounts:
            account = device.accounts[rng.choice(accounts)]
            op = {"op": "upsert_account", "id": account["id"], "name": label}
            if rng.random() < 0.3:
                op["kind"] = rng.choice(ACCOUNT_KINDS)
            if rng.random() < 0.3:
                op["opening_balance"] = str(money(rng))
            queue_account(device, op | {"base_version": account["version"]}, account)
        elif choice < 0.26 and len(device.accounts) >= 2:
            ends = rng.sample(sorted(device.accounts), 2)
            op = {"op": "upsert_transfer", "id": new_id(rng), "amount": str(money(rng))}
            op |= {"from_account_id": ends[0], "to_account_id": ends[1]}
            if rng.random() < 0.7:
                op["description"] = label
            if rng.random() < 0.5:
                op["date"] = rng.choice(DATES)
            if not same_currency(device, op):
                op["to_amount"] = str(money(rng))
            queue_transfer(device, op, {})
        elif choice < 0.36 and moves:
            move = moves[rng.choice(sorted(moves))]
            base = {"id": move["id"], "base_version": move["version"]}
            if rng.random() < 0.3:
                device.outbox.append({"op": "delete_transfer", **base})
                drop_legs(device, move["id"])
                continue
            op = {"op": "upsert_transfer", **base, "description": label}
            edit = {"amount": str(money(rng)), "date": rng.choice(DATES)}
            op |= {name: value for name, value in edit.items() if rng.random() < 0.5}
            if not same_currency(device, move) and rng.random() < 0.5:
                op["to_amount"] = str(money(rng))
            queue_transfer(device, op, move)
        elif choice < 0.6 or not synced:
            account_id = rng.choice([None, *sorted(device.accounts)])
            op = new_upsert(rng, label, account_id=account_id)
            queue_upsert(device, op, {"id": op["id"], "type": op["type"]})
        elif choice < 0.85:
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


def open_account(device: Device, label: str) -> None:
    rng = device.rng
    op = {"op": "upsert_account", "id": new_id(rng), "name": label}
    op |= {"kind": rng.choice(ACCOUNT_KINDS), "currency": rng.choice(CURRENCIES)}
    if rng.random() < 0.5:
        op["opening_balance"] = str(rng.choice((1, -1)) * money(rng))
    queue_account(device, op, {"opening_balance": Decimal(0), "archived": False})


def queue_upsert(device: Device, op: dict, base: dict) -> None:
    """Queue an upsert; the device's row becomes `base` with the upsert's fields."""
    row = device.rows[op["id"]] = {**base, **stored(op)}
    device.intent[op["id"]] = {name: row[name] for name in ROW_CONTENT if name in row}
    device.outbox.append(op)


def queue_account(device: Device, op: dict, base: dict) -> None:
    """Queue an account's upsert; the device's account becomes `base` with its fields (the
    fields it leaves out are kept)."""
    given = {name: op[name] for name in ACCOUNT_CONTENT if name in op}
    if "opening_balance" in given:
        given["opening_balance"] = Decimal(given["opening_balance"])
    account = device.accounts[op["id"]] = {**base, **given, "id": op["id"]}
    device.intent[op["id"]] = {name: account[name] for name in ACCOUNT_CONTENT}
    device.outbox.append(op)


def same_currency(device: Device, transfer: dict) -> bool:
    ends = (transfer["from_account_id"], transfer["to_account_id"])
    return len({device.accounts[end]["currency"] for end in ends}) == 1


def queue_transfer(device: Device, op: dict, base: dict) -> None:
    """Queue a transfer's upsert, remembering what it makes of `base` (the server's transfer,
    or {} for a create): absent fields kept, `to_amount` the amount in one currency."""
    content = {name: base[name] for name in (*TRANSFER_CONTENT, "date") if name in base}
    content |= {
        name: op[name] for name in ("from_account_id", "to_account_id", "date") if name in op
    }
    content["description"] = op.get("description", content.get("description", "Transfer"))
    for name in ("amount", "to_amount"):
        if name in op:
            content[name] = Decimal(op[name])
    if same_currency(device, content):
        content["to_amount"] = content["amount"]
    device.intent[op["id"]] = content
    device.outbox.append(op)


def legs_meant(content: dict) -> tuple[dict, dict]:
    """What a transfer's source and destination legs hold."""
    shared = {name: content[name] for name in ("description", "date") if name in content}
    source = {"account_id": content["from_account_id"], "amount": -content["amount"]}
    destination = {"account_id": content["to_account_id"], "amount": content["to_amount"]}
    return shared | source, shared | destination


def drop_legs(device: Device, transfer_id: str) -> None:
    for key in [key for key, row in device.rows.items() if row.get("transfer_id") == transfer_id]:
        del device.rows[key]


def come_online(client, headers, device: Device, seen: list[dict], retry_share: float) -> None:
    """Send the outbox, then pull every page after `since`. A conflict adopts the server's
    row or account (or drops it); for `retry_share` of them the device re-applies its change
    on the server's, in its next batch."""
    outbox, device.outbox = device.outbox, []
    if outbox:
        answer = json_body(client.post("/sync", json={"operations": outbox}, headers=headers))
        check_batch(outbox, answer)
        for op, result in zip(outbox, answer["results"], strict=True):
            seen.append(result | {"op": op["op"]})
            if result["status"] in WRITES and op["op"] in TRANSFER_OPS:  # the source leg's
                seen.append({"status": "leg", "op": op["op"], "version": result["version"] - 1})
            if result["status"] in ("created", "updated"):
                written(device, op, result["version"])
            elif result["status"] == "conflict":
                resolve(device, op, result["current"], retry_share)
    has_more = True
    while has_more:
        query = {"since": device.since, "limit": device.rng.randint(1, 15)}
        page = json_body(client.get("/sync", query_string=query, headers=headers))
        for account in page["accounts"]:  # the device's own writes hold what it meant
            expected = device.wrote_accounts.get(account["version"], {})
            assert {name: account[name] for name in expected} == expected, (account, expected)
            device.accounts[account["id"]] = account
        for row in page["changed"]:
            expected = device.wrote.get(row["version"], {})
            assert {name: row[name] for name in expected} == expected, (row, expected)
            device.rows[row["id"]] = row
        for tombstone in page["deleted"]:
            device.rows.pop(tombstone["id"], None)
        for tombstone in page["deleted_accounts"]:
            device.accounts.pop(tombstone["id"], None)
        device.since, has_more = page["server_knowledge"], page["has_more"]


def written(device: Device, op: dict, version: int) -> None:
    """Remember what the device meant by a write the server took under `version`."""
    meant = device.intent[op["id"]]
    if op["op"] == "upsert":
        device.rows[op["id"]]["version"] = version
        device.wrote[version] = meant
    elif op["op"] == "upsert_account":
        device.wrote_accounts[version] = meant
    else:
        device.wrote[version - 1], device.wrote[version] = legs_meant(meant)


def resolve(device: Device, op: dict, current: dict | None, retry_share: float) -> None:
    """A conflict: take the server's copy (none: it is gone), and now and then re-apply the
    change on it."""
    again = current is not None and device.rng.random() < retry_share
    if op["op"] in ("upsert", "delete"):
        device.rows[op["id"]] = current
        if current is None:
            del device.rows[op["id"]]
        elif again and op["op"] == "delete":
            del device.rows[op["id"]]
            device.outbox.append({**op, "base_version": current["version"]})
        elif again:
            queue_upsert(device, {**op, "base_version": current["version"]}, current)
    elif op["op"] == "upsert_account":
        device.accounts[op["id"]] = current
        if again:
            queue_account(device, {**op, "base_version": current["version"]}, current)
    elif again and op["op"] == "delete_transfer":
        drop_legs(device, op["id"])
        device.outbox.append({**op, "base_version": current["version"]})
    elif again:
        queue_transfer(device, {**op, "base_version": current["version"]}, current)


def listed(client, headers, url: str) -> dict[str, dict]:
    """Everything a paged list answers, by id, following the `Link` pages."""
    found = {}
    while url:
        response = client.get(url, headers=headers)
        found.update((entry["id"], entry) for entry in json_body(response))
        link = response.headers.get("Link")
        url = link and re.fullmatch(r'<([^>]+)>; rel="next"', link).group(1)
    return found


def server_rows(client, headers) -> dict[str, dict]:
    """Every row (transfers' legs too), by id, as GET /transactions lists them."""
    return listed(client, headers, "/transactions?limit=40")


def web_write(client, headers, rng: random.Random, step: int, seen: list[dict]) -> None:
    """A third party creates, changes or deletes a row or a transfer, or renames an account,
    through the plain routes; the versions of a delete (a 204) are read from the feed, where
    they must be the only changes."""
    everything = server_rows(client, headers).values()
    rows = [row for row in everything if row["type"] != "TRANSFER"]
    moves = sorted(listed(client, headers, "/transfers?limit=40"))
    label, choice = f"web {step}", rng.random()
    if choice < 0.15:
        account = rng.choice(json_body(client.get("/accounts", headers=headers)))
        answer = client.patch(f"/accounts/{account['id']}", json={"name": label}, headers=headers)
        seen.append({"status": "web", "version": json_body(answer)["version"]})
        return
    if choice < 0.35 and moves:
        url = f"/transfers/{rng.choice(moves)}"
        if rng.random() < 0.6:
            version = json_body(client.patch(url, json={"description": label}, headers=headers))
            seen += [{"status": "web", "version": version["version"] - n} for n in (0, 1)]
        else:
            web_delete(client, headers, url, 2, seen)
        return
    choice = rng.random()
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
    web_delete(client, headers, url, 1, seen)


def web_delete(client, headers, url: str, tombstones: int, seen: list[dict]) -> None:
    known = max((result["version"] for result in seen if "version" in result), default=1)
    assert client.delete(url, headers=headers).status_code == 204
    feed = json_body(client.get("/sync", query_string={"since": known}, headers=headers))
    assert (feed["changed"], feed["accounts"], feed["deleted_accounts"]) == ([], [], [])
    assert len(feed["deleted"]) == tombstones
    seen += [{"status": "web", "version": tombstone["version"]} for tombstone in feed["deleted"]]


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_two_offline_devices_converge(client, alice, seed):
    """A phone and a tablet of one user take turns going offline, queueing changes to rows,
    accounts and transfers, and coming back to send them and pull; the web writes in between,
    so some of their changes conflict. Once both have synced, each holds exactly the server's
    rows, accounts (with the balances its rows make) and transfers, and every version up to
    the counter went to exactly one write the server answered."""
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
    accounts = {
        account["id"]: account
        for account in json_body(client.get("/accounts", headers=alice.headers))
    }
    transfers = listed(client, alice.headers, "/transfers?limit=40")
    feed = json_body(client.get("/sync?since=0&limit=1000", headers=alice.headers))
    assert not feed["has_more"] and {row["id"]: row for row in feed["changed"]} == expected
    assert {account["id"]: account for account in feed["accounts"]} == accounts
    assert [device.rows for device in devices] == [expected, expected]
    assert [with_balances(device.accounts, device.rows) for device in devices] == [accounts] * 2
    assert [transfers_of(device.rows) for device in devices] == [transfers, transfers]
    knowledge = feed["server_knowledge"]
    assert [device.since for device in devices] == [knowledge, knowledge]
    versions = sorted(result["version"] for result in seen if "version" in result)
    assert versions == list(range(2, knowledge + 1))  # 1: the default account
    statuses = Counter(result["status"] for result in seen)
    assert all(statuses[status] > 0 for status in ("conflict", "web", *WRITES)), statuses
    ops = Counter((result.get("op"), result["status"]) for result in seen)
    for op, status in [
        ("upsert_account", "created"),
        ("upsert_account", "updated"),
        ("upsert_transfer", "created"),
        ("upsert_transfer", "updated"),
        ("upsert_transfer", "conflict"),
        ("delete_transfer", "deleted"),
    ]:
        assert ops[op, status] > 0, ops
    assert len(accounts) > 3 and len(transfers) > 3


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
