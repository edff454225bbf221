"""Nothing lost: concurrent writers and crashes against the real server, and a locked SQLite.

Each test runs boot.sh (gunicorn, 2 workers, production settings) on 127.0.0.1 against the
suite's database (SQLite, then PostgreSQL in the second pass) and prints its figures.
"""

import http.client
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import assert_problem
from live import new_user, post, report, request


def test_concurrent_writers_lose_and_duplicate_nothing(server_on_test_database, capsys):
    threads, per_thread = 20, 100
    with server_on_test_database() as server:
        tokens = [new_user(server.base) for _ in range(threads)]

        def write(token: str) -> tuple[list[int], list[int], Decimal]:
            statuses, ids, total = [], [], Decimal(0)
            for n in range(per_thread):
                amount = f"{n + 1}.{n % 100:02d}"
                key = f"retry-{n}" if n % 10 == 0 else None
                status, _, body = post(server.base, token, amount, key)
                statuses.append(status)
                if key:  # the client's retry after a lost answer: the same row again
                    again_status, _, again = post(server.base, token, amount, key)
                    statuses.append(again_status)
                    assert again["id"] == body["id"]
                ids.append(body["id"])
                total += Decimal(amount)
            return statuses, ids, total

        started = time.monotonic()
        with ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(write, tokens))
        seconds = time.monotonic() - started

        statuses = [status for result in results for status in result[0]]
        errors = [status for status in statuses if status != 201]
        for token, (_, ids, total) in zip(tokens, results, strict=True):
            _, headers, _ = request(server.base, "GET", "/incomes?limit=1", token=token)
            assert headers["X-Total-Count"] == str(per_thread)
            assert len(set(ids)) == per_thread
            balance = request(server.base, "GET", "/balance", token=token)[2]
            assert Decimal(str(balance["income"])) == total
    report(
        capsys,
        f"concurrent writes: {len(statuses)} requests ({threads} threads, "
        f"{threads * per_thread // 10} idempotent retries) in {seconds:.1f} s, "
        f"{threads * per_thread} rows found of {threads * per_thread} expected, "
        f"{len(errors)} errors",
    )
    assert errors == []


def gunicorn_workers(server) -> list[int]:
    """The pids of the master's children (its workers)."""
    pid = server.process.pid
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_kill_9_loses_no_answered_write_and_blocks_no_retry(server_on_test_database, capsys):
    answered: dict[str, int] = {}  # Idempotency-Key -> id of each write that got its 201
    sent: list[str] = []
    stop = threading.Event()
    another_answered = threading.Event()

    def writes_answered(count: int) -> None:
        """Wait (at most 60 s in all) until `count` writes have their 201."""
        deadline = time.monotonic() + 60
        while len(answered) < count:
            another_answered.clear()
            if len(answered) < count:
                left = deadline - time.monotonic()
                assert another_answered.wait(max(0, left)), f"{len(answered)} of {count} answered"

    with server_on_test_database() as server:
        token = new_user(server.base)

        def write(worker: int) -> None:
            n = 0
            while not stop.is_set():
                key = f"w{worker}-{n}"
                sent.append(key)
                try:
                    status, _, body = post(server.base, token, "1.01", key)
                except (OSError, http.client.HTTPException):
                    status = None  # the server died under this request
                if status == 201:
                    answered[key] = body["id"]
                    another_answered.set()
                n += 1

        pool = [threading.Thread(target=write, args=(n,)) for n in range(8)]
        for thread in pool:
            thread.start()
        try:
            # Each kill comes while writes are flowing: after 40 more are answered (not after a
            # time, which a slow machine could spend on none).
            writes_answered(40)
            os.kill(gunicorn_workers(server)[0], signal.SIGKILL)  # one worker
            writes_answered(len(answered) + 40)
            os.killpg(server.process.pid, signal.SIGKILL)  # then the whole server
        finally:
            stop.set()
            for thread in pool:
                thread.join()

    with server_on_test_database() as restarted:
        lost = [
            key
            for key, row_id in answered.items()
            if request(restarted.base, "GET", f"/incomes/{row_id}", token=token)[0] != 200
        ]
        # Every write, answered or not, can be retried with its key: a replay or a new row.
        retried = {key: post(restarted.base, token, "1.01", key) for key in sent}
        blocked = [key for key, (status, _, _) in retried.items() if status != 201]
        ids = {body["id"] for status, _, body in retried.values() if status == 201}
        replayed_right = all(retried[key][2]["id"] == row_id for key, row_id in answered.items())
        _, headers, _ = request(restarted.base, "GET", "/incomes?limit=1", token=token)
        kept = request(restarted.base, "GET", "/balance", token=token)[2]
        summed = request(restarted.base, "GET", "/balance?from=0001-01-01", token=token)[2]
    report(
        capsys,
        f"kill -9: {len(sent)} writes sent, {len(answered)} answered 201, {len(lost)} of those "
        f"lost; {len(sent)} retried after the restart, {len(blocked)} blocked, "
        f"{len(ids)} rows, {headers['X-Total-Count']} listed",
    )
    assert answered and lost == [] and blocked == [] and replayed_right
    assert len(ids) == len(sent) == int(headers["X-Total-Count"])
    assert kept == summed  # the running totals match the rows: nothing half-written


def test_a_locked_sqlite_database_is_a_503_not_a_hang(
    another_app, make_account, migrated_url, capsys
):
    if not migrated_url.startswith("sqlite"):
        pytest.skip("SQLite's own lock")
    import sqlite3

    app = another_app(testing=False, SQLITE_BUSY_TIMEOUT_MS=300)
    client = app.test_client()
    headers = make_account(client, "ann").headers
    holder = sqlite3.connect(migrated_url.removeprefix("sqlite:///"))
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        response = client.post("/incomes", json={"description": "x", "amount": 1}, headers=headers)
        seconds = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert_problem(
        response, 503, "Service Unavailable", "The database is unavailable; try again shortly."
    )
    assert response.headers["Retry-After"] == "5"
    assert (
        client.post("/incomes", json={"description": "x", "amount": 1}, headers=headers).status_code
        == 201
    )
    report(capsys, f"SQLite locked by another process: 503 after {seconds * 1000:.0f} ms, then 201")
