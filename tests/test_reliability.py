"""Nothing lost: concurrent writers, crashes and a database outage, against the real server.

Each test runs boot.sh (gunicorn, 2 workers, production settings) on 127.0.0.1 against the
suite's database (SQLite, then PostgreSQL in the second pass) and prints its figures.
"""

import http.client
import os
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import assert_problem
from live import json_body, login, register, request, started_server

OPEN_LIMITS = {
    "RATE_LIMIT_REGISTER_ADDRESS": "off",
    "RATE_LIMIT_LOGIN_ADDRESS": "off",
    "RATE_LIMIT_API_USER": "off",  # the kill -9 writer sends more than a minute's quota
}


def report(capsys, text: str) -> None:
    with capsys.disabled():
        print(f"\n[reliability] {text}")


def new_user(base: str) -> str:
    """Register and log in a user of its own; return its access token."""
    name = f"u{uuid.uuid4().hex[:12]}"
    register(base, name)
    return json_body(login(base, name))["access_token"]


def post(base: str, token: str, amount: str, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    body = {"description": f"pay {amount}", "amount": amount}
    return request(base, "POST", "/incomes", body, token=token, headers=headers)


@pytest.fixture
def server_on_test_database(migrated_url, another_app):
    """Start servers on the suite's database; the tables are emptied afterwards."""
    yield lambda **settings: started_server(migrated_url, **OPEN_LIMITS, **settings)
    another_app()


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
                n += 1

        pool = [threading.Thread(target=write, args=(n,)) for n in range(8)]
        for thread in pool:
            thread.start()
        time.sleep(1.5)
        os.kill(gunicorn_workers(server)[0], signal.SIGKILL)  # one worker
        time.sleep(1.5)
        os.killpg(server.process.pid, signal.SIGKILL)  # then the whole server
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


class CuttableProxy:
    """A TCP proxy to PostgreSQL that the test can cut (connections dropped, new ones refused)
    and restore, so the machine's PostgreSQL itself is never stopped."""

    def __init__(self, target_port: int = 5432) -> None:
        self.target = ("127.0.0.1", target_port)
        self.port = _free_port()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=True)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def cut(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in its thread
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            try:
                sock.close()
            except OSError:
                pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_postgresql_outage_is_503s_then_recovers_without_a_restart(
    migrated_url, another_app, capsys
):
    if not migrated_url.startswith("postgresql"):
        pytest.skip("the outage of a database server: PostgreSQL only (SQLite: see below)")
    proxy = CuttableProxy()
    url = migrated_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert url != migrated_url
    with started_server(url, **OPEN_LIMITS, DATABASE_CONNECT_TIMEOUT="2") as server:
        token = new_user(server.base)
        assert post(server.base, token, "5.00")[0] == 201

        proxy.cut()
        outage = []
        for path in ["/incomes", "/balance", "/health/ready"]:
            started = time.monotonic()
            status, headers, body = request(server.base, "GET", path, token=token)
            outage.append((path, status, time.monotonic() - started))
            assert (status, headers["Content-Type"], headers["Retry-After"]) == (
                503,
                "application/problem+json",
                "5",
            )
            assert body["status"] == 503
        status, _, _ = post(server.base, token, "6.00")
        assert status == 503
        slowest = max(seconds for _, _, seconds in outage)
        assert slowest < 5

        proxy.restore()
        restored = time.monotonic()
        while request(server.base, "GET", "/health/ready")[0] != 200:
            assert time.monotonic() - restored < 30, "no recovery within 30 s"
            time.sleep(0.1)
        recovery = time.monotonic() - restored
        assert post(server.base, token, "7.00")[0] == 201
        balance = request(server.base, "GET", "/balance", token=token)[2]
        assert (balance["count"], Decimal(str(balance["income"]))) == (2, Decimal("12.00"))
    proxy.cut()
    another_app()
    report(
        capsys,
        f"PostgreSQL outage: slowest answer while cut {slowest * 1000:.0f} ms (all 503), "
        f"recovered {recovery:.2f} s after the database came back, no restart",
    )


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
