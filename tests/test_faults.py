"""The fault suite: slow clients and a database that vanishes or freezes, against the real server.

Each test starts boot.sh (gunicorn, production settings) on 127.0.0.1, brings about one fault
and checks that answers stay bounded, that they are problem+json, and that no acknowledged
write is lost; it prints its figures. The database faults go through a TCP proxy the test
controls, so the machine's PostgreSQL itself is never stopped. A Redis that never answers is in
tests/test_limits.py.
"""

import json
import queue
import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from decimal import Decimal

import psycopg
import pytest
from helpers import ROW
from live import assert_problem, json_body, new_user, post, report, request, started_server

SLOW_HEAD = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
UNAVAILABLE = "The database is unavailable; try again shortly."
NOT_ANSWERING = "The database is not answering."  # GET /health/ready


class FaultyProxy:
    """A TCP proxy to PostgreSQL that can be cut (connections dropped, new ones refused) or
    frozen (connections kept open, nothing carried either way), and then restored; or that
    has PostgreSQL end one connection between a request's last statement and its ROLLBACK."""

    def __init__(self, database_url: str, target_port: int = 5432) -> None:
        self.target = ("127.0.0.1", target_port)
        self.database = database_url.replace("postgresql+psycopg://", "postgresql://")
        self.port = _free_port()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.lock = threading.Lock()
        self.flowing = threading.Event()
        self.marker: bytes | None = None
        self.terminations: queue.Queue[bool] = queue.Queue()  # whether each one ended a backend
        self.restore()

    def terminate_before_rollback(self, marker: bytes) -> None:
        """The next connection to send a statement holding `marker` is ended by PostgreSQL
        (pg_terminate_backend) just before its next ROLLBACK reaches it: as a restart, a
        failover or an administrator ends a backend after the statement was answered."""
        with self.lock:
            self.marker = marker

    def restore(self) -> None:
        self.flowing.set()
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=True)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def freeze(self) -> None:
        """Like a network freeze or a stopped server: packets are taken, no answer comes."""
        self.flowing.clear()

    def thaw(self) -> None:
        self.flowing.set()

    def cut(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in its thread
        except OSError:
            pass  # cut already
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.sockets.clear()
        self.flowing.set()  # frees the pipes held by a freeze, which then find their sockets shut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(
                target=self._pipe, args=(client, upstream, upstream.getsockname()[1]), daemon=True
            ).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, backend_port: int = 0) -> None:
        """Carry `source`'s bytes to `sink`; from a client (`backend_port` is its upstream
        socket's port, as PostgreSQL sees it) watch for the statements to terminate after."""
        doomed = False
        try:
            while data := source.recv(65536):
                self.flowing.wait()
                if backend_port:
                    if doomed and b"ROLLBACK" in data:
                        doomed = False
                        self._terminate(backend_port)
                    with self.lock:
                        if self.marker and self.marker in data:
                            self.marker, doomed = None, True
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.close()
                except OSError:
                    pass

    def _terminate(self, backend_port: int) -> None:
        """End the backend serving `backend_port`, waiting (up to 5 s) until it has exited."""
        with psycopg.connect(self.database, autocommit=True, connect_timeout=5) as killer:
            ended = killer.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                " WHERE client_port = %s",
                (backend_port,),
            ).fetchall()
        self.terminations.put(ended == [(True,)])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _timed(call) -> tuple[object, float]:
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


def _p99(seconds: list[float]) -> float:
    return statistics.quantiles(seconds, n=100, method="inclusive")[98]


def _seconds_until_ready(base: str) -> float:
    """How long the server takes to report itself ready again (at most 30 s)."""
    started = time.monotonic()
    while request(base, "GET", "/health/ready")[0] != 200:
        assert time.monotonic() - started < 30, "no recovery within 30 s"
        time.sleep(0.1)
    return time.monotonic() - started


def _assert_unavailable(answer, detail: str = UNAVAILABLE) -> None:
    assert_problem(answer, 503, "Service Unavailable", detail)
    assert answer[1]["Retry-After"] == "5"


def test_idle_and_slow_clients_stall_nobody(server_on_test_database, capsys):
    """Found live: two idle connections held gunicorn's two sync workers; /health took 31 s."""
    with server_on_test_database() as server:
        token = new_user(server.base)
        for _ in range(3):
            json_body(request(server.base, "POST", "/incomes", ROW, token=token), 201)
        address = ("127.0.0.1", int(server.base.rsplit(":", 1)[1]))
        idle = [socket.create_connection(address, timeout=30) for _ in range(200)]
        slow = [socket.create_connection(address, timeout=30) for _ in range(50)]
        stop = threading.Event()

        def drip() -> None:
            """Each slow client sends one more byte of its head every second."""
            for sock in slow:
                sock.sendall(SLOW_HEAD)
            while not stop.wait(1):
                for sock in slow:
                    try:
                        sock.send(b"a")
                    except OSError:
                        pass

        dripping = threading.Thread(target=drip)
        dripping.start()
        try:
            time.sleep(2)
            health, listing = [], []
            for _ in range(100):
                answer, seconds = _timed(lambda: request(server.base, "GET", "/health"))
                assert answer[0] == 200
                health.append(seconds)
                answer, seconds = _timed(
                    lambda: request(server.base, "GET", "/incomes", token=token)
                )
                assert (answer[0], len(answer[2])) == (200, 3)
                listing.append(seconds)
        finally:
            stop.set()
            dripping.join()
            for sock in idle + slow:
                sock.close()
    report(
        capsys,
        f"200 idle and 50 slow clients: GET /health p99 {_p99(health) * 1000:.1f} ms "
        f"(max {max(health) * 1000:.1f}), authenticated list p99 {_p99(listing) * 1000:.1f} ms "
        f"(max {max(listing) * 1000:.1f}), 100 requests each",
    )
    assert _p99(health) < 1 and _p99(listing) < 1


def test_idle_and_stalled_clients_are_cut_at_the_client_timeout(server_on_test_database, capsys):
    """With one worker and CLIENT_TIMEOUT=2, connections that send nothing, half a head or half a
    body are closed after 2 s; and 40 half-sent bodies with a valid token hold no database
    connection (the body is read before the token is checked), so a list answers meanwhile."""
    with server_on_test_database(CLIENT_TIMEOUT="2", WEB_CONCURRENCY="1") as server:
        token = new_user(server.base)
        half_body = (
            b"POST /incomes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + token.encode() + b"\r\nContent-Length: 100\r\n\r\n{"
        )
        openings = {"idle": b"", "half a head": SLOW_HEAD}
        openings |= {f"half a body {n}": half_body for n in range(40)}
        address = ("127.0.0.1", int(server.base.rsplit(":", 1)[1]))
        with ExitStack() as stack:
            started = {}
            for name, opening in openings.items():
                sock = stack.enter_context(socket.create_connection(address, timeout=10))
                sock.sendall(opening)
                started[name] = (sock, time.monotonic())
            time.sleep(0.5)
            listing, list_seconds = _timed(
                lambda: request(server.base, "GET", "/incomes", token=token)
            )
            closed = {}
            for name, (sock, since) in started.items():
                answer = sock.makefile("rb").read()  # until the server closes the connection
                closed[name] = (time.monotonic() - since, answer)
    assert (listing[0], listing[2]) == (200, [])
    assert (closed["idle"][1], closed["half a head"][1]) == (b"", b"")
    for name, (_, answer) in closed.items():
        if name.startswith("half a body"):
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400 "), answer
            assert json.loads(body)["detail"] == "The request could not be understood."
    seconds = [elapsed for elapsed, _ in closed.values()]
    report(
        capsys,
        f"CLIENT_TIMEOUT 2 s: an idle connection, half a head and 40 half bodies closed after "
        f"{min(seconds):.2f}-{max(seconds):.2f} s; a list meanwhile {list_seconds * 1000:.0f} ms",
    )
    assert 2 <= min(seconds) and max(seconds) < 4 and list_seconds < 1


@pytest.fixture
def proxied_database(migrated_url, another_app):
    """A FaultyProxy in front of the suite's PostgreSQL, and the database URL through it."""
    if not migrated_url.startswith("postgresql"):
        pytest.skip("a database server's fault: PostgreSQL only (SQLite: test_reliability.py)")
    proxy = FaultyProxy(migrated_url)
    url = migrated_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert url != migrated_url
    yield proxy, url
    proxy.cut()
    another_app()  # empties the tables the server wrote to


def test_a_postgresql_outage_is_503s_then_recovers_without_a_restart(proxied_database, capsys):
    proxy, url = proxied_database
    with started_server(url, DATABASE_CONNECT_TIMEOUT="2") as server:
        token = new_user(server.base)
        assert post(server.base, token, "5.00")[0] == 201

        proxy.cut()
        outage = []
        for path, detail in [
            ("/incomes", UNAVAILABLE),
            ("/balance", UNAVAILABLE),
            ("/health/ready", NOT_ANSWERING),
        ]:
            answer, seconds = _timed(lambda p=path: request(server.base, "GET", p, token=token))
            _assert_unavailable(answer, detail)
            outage.append(seconds)
        _assert_unavailable(post(server.base, token, "6.00"))

        proxy.restore()
        recovery = _seconds_until_ready(server.base)
        assert post(server.base, token, "7.00")[0] == 201
        balance = request(server.base, "GET", "/balance", token=token)[2]
        assert (balance["count"], Decimal(str(balance["income"]))) == (2, Decimal("12.00"))
    report(
        capsys,
        f"PostgreSQL outage: slowest answer while cut {max(outage) * 1000:.0f} ms (all 503), "
        f"recovered {recovery:.2f} s after the database came back, no restart",
    )
    assert max(outage) < 5


@pytest.mark.parametrize(
    ("marker", "method", "path", "raw"),
    [
        (b"SELECT 1", "GET", "/health/ready", None),  # answered 200, and then
        (b"FROM logins", "POST", "/incomes", b'{"amount": "x"}'),  # 422 after the token check
        (b"FROM logins", "POST", "/incomes", b"{"),  # 400
    ],
)
def test_a_connection_ended_before_the_requests_rollback_is_a_503_problem(
    proxied_database, marker, method, path, raw
):
    """Found live: when PostgreSQL ended a connection after a request's last statement, the
    ROLLBACK at Flask's teardown failed outside every handler and gunicorn answered its HTML
    500 (597 of 3,000 readiness checks while backends were being killed)."""
    proxy, url = proxied_database
    with started_server(url, WEB_CONCURRENCY="1") as server:
        token = new_user(server.base)
        proxy.terminate_before_rollback(marker)
        _assert_unavailable(request(server.base, method, path, raw=raw, token=token))
        assert proxy.terminations.get(timeout=10) is True
        assert post(server.base, token, "1.00")[0] == 201  # on a new connection


def test_a_frozen_postgresql_is_503s_within_the_timeouts_then_recovers(proxied_database, capsys):
    """Found live: requests hung for the whole freeze, and after 31 s two POSTs got no answer.

    One worker, so that a database wait that blocked the worker would also block /health.
    """
    proxy, url = proxied_database
    settings = {
        "DATABASE_STATEMENT_TIMEOUT": "2",  # answers are awaited 3 s
        "DATABASE_CONNECT_TIMEOUT": "2",
        "WEB_CONCURRENCY": "1",
    }
    bound = 3 + 2 * 2 + 1  # an answer, a wait for a pooled connection, a new connection, slack
    with started_server(url, **settings) as server:
        token = new_user(server.base)
        acknowledged = [
            json_body(post(server.base, token, f"{n}.25", key=f"before-{n}"), 201)
            for n in range(1, 6)
        ]

        proxy.freeze()
        with ThreadPoolExecutor(40) as pool:
            calls = [
                (lambda: post(server.base, token, "9.00", key="during"), UNAVAILABLE),
                (lambda: request(server.base, "GET", "/health/ready"), NOT_ANSWERING),
                *[(lambda: request(server.base, "GET", "/incomes", token=token), UNAVAILABLE)] * 38,
            ]
            pending = [(pool.submit(_timed, call), detail) for call, detail in calls]
            time.sleep(0.5)  # every one of them is now waiting on the frozen database
            health, health_seconds = _timed(lambda: request(server.base, "GET", "/health"))
            frozen = [(*future.result(), detail) for future, detail in pending]
        assert health[0] == 200
        for answer, _, detail in frozen:
            _assert_unavailable(answer, detail)
        slowest = max(seconds for _, seconds, _ in frozen)

        proxy.thaw()
        recovery = _seconds_until_ready(server.base)
        # The write refused during the freeze is retried with its key: it makes its one row.
        retried = json_body(post(server.base, token, "9.00", key="during"), 201)
        rows = request(server.base, "GET", "/incomes?limit=100", token=token)[2]
        balance = request(server.base, "GET", "/balance", token=token)[2]
    assert rows == [retried, *reversed(acknowledged)]
    assert Decimal(str(balance["income"])) == Decimal("16.25") + Decimal("9.00")
    report(
        capsys,
        f"PostgreSQL frozen (statement and connect timeouts 2 s, 1 worker): 40 requests at once, "
        f"all 503, the slowest after {slowest:.2f} s, the fastest after "
        f"{min(seconds for _, seconds, _ in frozen):.2f} s; GET /health meanwhile "
        f"{health_seconds * 1000:.0f} ms; recovered {recovery:.2f} s after the thaw; 5 of 5 "
        "acknowledged writes kept, the refused one stored once on retry",
    )
    assert slowest < bound and health_seconds < 0.5
