"""Run the start script (boot.sh) as a real gunicorn server on 127.0.0.1 and talk to it.

An answer is (status, headers, parsed JSON or None). register, login, add_row, json_body and
assert_problem are helpers.py's, over HTTP: the same names, arguments and checks.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from helpers import PASSWORD, ROW, problem_body

ROOT = Path(__file__).resolve().parents[1]
STRONG_SECRET = "live-server-secret-that-is-long-enough-0123456789"
# Tests that register many users or send many requests turn the limits off.
OPEN_LIMITS = {
    "RATE_LIMIT_REGISTER_ADDRESS": "off",
    "RATE_LIMIT_LOGIN_ADDRESS": "off",
    "RATE_LIMIT_API_USER": "off",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def boot_env(database_url: str, port: int, secret: str, **settings: str) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    return {
        "PATH": f"{venv_bin}:/usr/bin:/bin",
        "CASHMAN_ENV": "production",
        "JWT_SECRET_KEY": secret,
        "DATABASE_URL": database_url,
        "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",  # workers (config/gunicorn.conf.py); a test may ask for another
        **settings,
    }


def request(base: str, method: str, path: str, body=None, token=None, raw=None, headers=None):
    """Send one request; return (status, headers, parsed JSON or None)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    all_headers = dict(headers or {})
    if data is not None:
        all_headers.setdefault("Content-Type", "application/json")
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            status, response_headers, payload = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, response_headers, payload = error.code, error.headers, error.read()
    return status, response_headers, json.loads(payload) if payload else None


def register(base: str, username: str, password: str = PASSWORD) -> int:
    """Register a user (which must succeed); return its id."""
    body = {"username": username, "password": password}
    return json_body(request(base, "POST", "/auth/register", body), 201)["id"]


def login(base: str, username: str, password: str = PASSWORD, **headers):
    """POST /auth/login and return the answer, whatever it is."""
    body = {"username": username, "password": password}
    return request(base, "POST", "/auth/login", body, headers=headers)


def new_user(base: str) -> str:
    """Register and log in a user of its own; return its access token."""
    name = f"u{uuid.uuid4().hex[:12]}"
    register(base, name)
    return json_body(login(base, name))["access_token"]


def post(base: str, token: str, amount: str, key: str | None = None):
    """POST an income of `amount`, with an Idempotency-Key if given; return the answer."""
    headers = {"Idempotency-Key": key} if key else {}
    body = {"description": f"pay {amount}", "amount": amount}
    return request(base, "POST", "/incomes", body, token=token, headers=headers)


def report(capsys, text: str) -> None:
    """Print a test's figures, past pytest's capture."""
    with capsys.disabled():
        print(f"\n[reliability] {text}")


def add_row(base: str, token: str, collection: str = "incomes", **fields) -> dict:
    """Create a row with `token` (which must succeed); return it as answered."""
    return json_body(request(base, "POST", f"/{collection}", {**ROW, **fields}, token=token), 201)


def json_body(answer, status: int = 200):
    """The JSON body of an answer that must have `status` (the body is shown if not)."""
    answered, _, body = answer
    assert answered == status, body
    return body


def assert_problem(answer, status: int, title: str, detail: str, errors=None) -> None:
    """Check an answer is the RFC 9457 problem helpers.assert_problem checks."""
    answered, headers, body = answer
    assert answered == status, body
    assert headers["Content-Type"] == "application/problem+json"
    expected = problem_body(status, title, detail, errors)
    assert body == {**expected, "request_id": headers["X-Request-ID"]}


@dataclass
class Server:
    base: str
    process: subprocess.Popen  # gunicorn's master (boot.sh execs it), leading its own session
    log: IO[str]  # the server's output, shared with it: read it with `output`, never seek it

    def output(self) -> str:
        """What the server has written so far (read without moving the shared file offset)."""
        size = os.fstat(self.log.fileno()).st_size
        return os.pread(self.log.fileno(), size, 0).decode()


@contextmanager
def started_server(database_url: str, **settings: str) -> Iterator[Server]:
    """Start ./boot.sh in production mode; yield it; stop it (if still up) and check its log.

    `settings` are more environment variables for the server, e.g. JWT_ACCESS_TOKEN_EXPIRES.
    The server leads its own process group, so a test can kill -9 all of it at once.
    The log goes to a file, not a pipe: a pipe nobody reads fills up and stalls the server.
    """
    port = free_port()
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            ["./boot.sh"],
            cwd=ROOT,
            env=boot_env(database_url, port, STRONG_SECRET, **settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        try:
            while not _is_up(base + settings.get("URL_PREFIX", "")):
                if time.monotonic() > deadline or process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"the server did not start:\n{log.read()}")
                time.sleep(0.2)
            yield Server(base, process, log)
        finally:
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=30)
            log.seek(0)
            output = log.read()
        assert "Traceback" not in output, output
        # No credential ever reaches the server's log (tokens are JWTs: they start with "eyJ"; a
        # body's "password" key, not the /auth/password path that the request log names).
        for leak in ("eyJ", "Bearer", PASSWORD, '"password"', '"new_password"'):
            assert leak not in output, output


@contextmanager
def running_server(database_url: str, **settings: str) -> Iterator[str]:
    """`started_server`, yielding only its base URL."""
    with started_server(database_url, **settings) as server:
        yield server.base


def _is_up(base: str) -> bool:
    try:
        return request(base, "GET", "/health")[0] == 200
    except OSError:
        return False
