"""The container's start script against a real gunicorn: migrations, then JSON on every path.

flask-restful's 500s only show when exceptions are not propagated, so this runs the real
production stack (CASHMAN_ENV=production, gunicorn workers) on 127.0.0.1.
"""

import http.client
import json
import socket
import subprocess

import pytest
from helpers import NOT_FOUND
from live import ROOT, assert_problem, boot_env, free_port, json_body, login, register, request
from test_keys import key_files

MISSING = "A bearer access token is required."


def test_start_script_serves_the_api_with_json_everywhere(live_server):
    base = live_server
    status, headers, body = request(base, "GET", "/health/ready")
    assert (status, headers["Content-Type"], body) == (200, "application/json", {"status": "ok"})

    answer = request(base, "GET", "/incomes")
    assert_problem(answer, 401, "Unauthorized", MISSING)
    assert answer[1]["WWW-Authenticate"] == "Bearer"

    answer = request(base, "GET", "/incomes", token="garbage")
    assert_problem(answer, 401, "Unauthorized", "The token is invalid: Not enough segments.")
    assert answer[1]["WWW-Authenticate"] == 'Bearer error="invalid_token"'

    status, _, body = request(
        base, "POST", "/auth/register", {"username": "alice", "password": "p" * 10}
    )
    assert status == 201 and body["username"] == "alice"
    token = json_body(login(base, "alice", "p" * 10))["access_token"]

    status, headers, created = request(
        base, "POST", "/incomes/", {"description": "Salary", "amount": "5000.10"}, token=token
    )
    assert status == 201
    assert headers["Location"] == f"/incomes/{created['id']}"
    status, _, listed = request(base, "GET", "/transactions", token=token)
    assert (status, listed) == (200, [created])

    precision = {"amount": ["An amount has at most 2 decimal places."]}
    for method, path, raw, problem in [
        ("POST", "/incomes", b"{", (400, "Bad Request", "The request body is not valid JSON.")),
        (
            "POST",
            "/incomes",
            b'{"amount": 1.005, "description": "x"}',
            (422, "Unprocessable Content", "The request body has invalid fields.", precision),
        ),
        ("GET", "/nowhere", None, (404, "Not Found", NOT_FOUND)),
        (
            "DELETE",
            "/incomes",
            None,
            (405, "Method Not Allowed", "The method is not allowed for the requested URL."),
        ),
        ("GET", "/incomes/99999999999999999999", None, (404, "Not Found", NOT_FOUND)),
    ]:
        assert_problem(request(base, method, path, raw=raw, token=token), *problem)

    refused = request(base, "POST", "/auth/refresh", token=token)
    assert_problem(
        refused, 401, "Unauthorized", "The token is invalid: Only refresh tokens are allowed."
    )

    assert request(base, "POST", "/auth/logout", token=token)[0] == 204
    revoked = request(base, "GET", "/incomes", token=token)
    assert_problem(revoked, 401, "Unauthorized", "The token has been revoked.")


@pytest.mark.parametrize(
    "command",
    [["./boot.sh"], ["gunicorn", "--config", "config/gunicorn.conf.py", "wsgi:app"]],
    ids=["boot.sh", "gunicorn"],
)
def test_a_weak_secret_stops_the_server_with_one_line(migrated_url, command):
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=boot_env(migrated_url, free_port(), "weak"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 4  # gunicorn's "the app failed to load": it stops the server
    assert result.stderr.startswith("cashman: configuration error: set JWT_SECRET_KEY")
    assert result.stderr.count("\n") == 1


def test_a_mismatched_key_pair_stops_gunicorn_instead_of_restarting_workers(migrated_url, tmp_path):
    """Workers load the app (not the master), so this check fails in a worker: it must stop the
    server (exit status 4 from wsgi.py), not be retried worker after worker."""
    first, second = key_files(tmp_path, "a", "RS256"), key_files(tmp_path, "b", "RS256")
    keys = {
        "JWT_ALGORITHM": "RS256",
        "JWT_PRIVATE_KEY_FILE": first["JWT_PRIVATE_KEY_FILE"],
        "JWT_PUBLIC_KEY_FILE": second["JWT_PUBLIC_KEY_FILE"],
    }
    result = subprocess.run(
        ["gunicorn", "--config", "config/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env={**boot_env(migrated_url, free_port(), "unused"), **keys},
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Status 4 as a rule; 1 when the worker fails before gunicorn's master enters its main loop
    # (gunicorn then raises its HaltServer uncaught). Either way it stopped, within the timeout.
    assert result.returncode in (1, 4)
    assert "cashman: configuration error: the JWT key files are not a matching RS256 key pair" in (
        result.stderr
    )


def test_the_live_server_serves_the_committed_openapi_document(live_server):
    status, headers, document = request(live_server, "GET", "/openapi.json")
    assert (status, headers["Content-Type"]) == (200, "application/json")
    assert document == json.loads((ROOT / "docs" / "openapi.json").read_text())


def test_gunicorn_hands_a_chunked_body_over_the_limit_to_a_413(live_server):
    """Found live: a chunked body over 1 MiB was cut there and answered as invalid JSON."""
    register(live_server, "carol")
    token = json_body(login(live_server, "carol"))["access_token"]
    chunks = [b'{"description": "', *[b"x" * 65536] * 20, b'", "amount": 1}']
    answer = chunked_post(live_server, token, "/incomes", chunks, "application/json")
    assert_problem(answer, 413, "Content Too Large", "The request body is larger than 1 MiB.")


def chunked_post(base: str, token: str, path: str, chunks: list[bytes], media_type: str):
    """POST a body in chunks (no Content-Length) and return (status, headers, JSON)."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request(
            "POST",
            path,
            body=iter(chunks),
            headers={"Authorization": f"Bearer {token}", "Content-Type": media_type},
            encode_chunked=True,
        )
        response = connection.getresponse()
        return response.status, response.headers, json.loads(response.read())
    finally:
        connection.close()


def test_gunicorn_hands_an_import_over_1_mib_in_chunks_to_the_app_up_to_its_limit(live_server):
    register(live_server, "dave")
    token = json_body(login(live_server, "dave"))["access_token"]
    line = b",EXPENSE,2026-11-01," + b"d" * 200 + b",1.50,,\n"
    rows = 1024 * 1024 // len(line) + 100  # over 1 MiB, under 10,000 rows
    header = b"id,type,date,description,amount,category,created_at\n"
    answer = chunked_post(
        live_server, token, "/transactions/import", [header] + [line] * rows, "text/csv"
    )
    assert json_body(answer) == {"created": rows, "skipped_duplicates": 0}
    balance = json_body(request(live_server, "GET", "/balance", token=token))
    assert (balance["count"], balance["expenses"]) == (rows, -1.5 * rows)
    # 15 MiB (the export of 10,000 of the longest rows, with account_id and transfer_id) and
    # the header.
    chunks = [header, *[b"x" * 65536] * (15 * 16)]
    answer = chunked_post(live_server, token, "/transactions/import", chunks, "text/csv")
    assert_problem(answer, 413, "Content Too Large", "The request body is larger than 15 MiB.")


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        (f"/incomes?q={'x' * 5000}", {}, 414),
        ("/incomes", {"Authorization": f"Bearer {'x' * 100_000}"}, 431),
        ("/health", {"X-Request-ID": "r" * 10_000}, 431),
        ("/health", {f"X-Extra-{n}": "1" for n in range(101)}, 431),
    ],
)
def test_gunicorn_leaves_oversize_heads_to_the_app(live_server, path, headers, status):
    """Found live: gunicorn's own 414 and 431 answers were HTML."""
    answer = request(live_server, "GET", path, headers=headers)
    assert (answer[0], answer[1]["Content-Type"]) == (status, "application/problem+json")
    assert answer[2]["status"] == status


HEAD = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
POST_HEAD = b"POST /incomes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
BAD_REQUEST = (400, "Bad Request", "The request could not be understood.")
MALFORMED = {
    "a bare CR in a header": HEAD + b"X-Note: a\rb\r\n\r\n",
    "a bare LF in a header": HEAD + b"X-Note: a\nb\r\n\r\n",
    "lines ended by a bare LF": b"GET /health HTTP/1.1\nHost: 127.0.0.1\n\n",
    "a NUL in a header": HEAD + b"X-Note: a\x00b\r\n\r\n",
    "a NUL in the path": b"GET /hea\x00lth HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "a non-numeric Content-Length": POST_HEAD + b"Content-Length: ten\r\n\r\n",
    "two Content-Lengths that differ": POST_HEAD
    + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}}",
    "Content-Length beside chunked": POST_HEAD
    + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "a request line that is not HTTP": b"HELLO THERE\r\n\r\n",
    "a method that is no token": b"G@T /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "an HTTP version that does not exist": b"GET /health HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
    "a chunk size that is not hex": POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
}
BEYOND_THE_SERVERS_LIMITS = {
    "a request line over 8190 bytes": (
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        (414, "URI Too Long", "The URL is longer than 4096 bytes."),
    ),
    "a header over 128 KiB": (
        HEAD + b"X-Note: " + b"a" * (129 * 1024) + b"\r\n\r\n",
        (
            431,
            "Request Header Fields Too Large",
            "A request may have 100 headers of at most 8190 bytes each.",
        ),
    ),
}


def raw_exchange(base: str, sent: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send raw bytes, read the answer until the server closes; (status line, headers, body)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(sent)
        sock.shutdown(socket.SHUT_WR)
        answer = sock.makefile("rb").read()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    return status_line, dict(line.split(": ", 1) for line in lines), body


def test_malformed_framing_is_a_problem_from_the_worker(live_server):
    """Found live: gunicorn answered each of these with its own text/html page."""
    cases = {name: (sent, BAD_REQUEST) for name, sent in MALFORMED.items()}
    for name, (sent, (status, title, detail)) in (cases | BEYOND_THE_SERVERS_LIMITS).items():
        status_line, headers, body = raw_exchange(live_server, sent)
        assert status_line.startswith(f"HTTP/1.1 {status} "), name
        assert headers["Content-Type"] == "application/problem+json", name
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert json.loads(body) == {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "request_id": headers["X-Request-ID"],
        }, name
