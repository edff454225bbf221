"""Run the start script (boot.sh) as a real gunicorn server on 127.0.0.1 and talk to it."""

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STRONG_SECRET = "live-server-secret-that-is-long-enough-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def boot_env(database_url: str, port: int, secret: str) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    return {
        "PATH": f"{venv_bin}:/usr/bin:/bin",
        "CASHMAN_ENV": "production",
        "JWT_SECRET_KEY": secret,
        "DATABASE_URL": database_url,
        "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port} --workers 2",
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


@contextmanager
def running_server(database_url: str) -> Iterator[str]:
    """Start ./boot.sh in production mode; yield its base URL; stop it and check its log.

    The log goes to a file, not a pipe: a pipe nobody reads fills up and stalls the server.
    """
    port = free_port()
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            ["./boot.sh"],
            cwd=ROOT,
            env=boot_env(database_url, port, STRONG_SECRET),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        try:
            while not _is_up(base):
                if time.monotonic() > deadline or process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"the server did not start:\n{log.read()}")
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.seek(0)
            output = log.read()
        assert "Traceback" not in output, output


def _is_up(base: str) -> bool:
    try:
        return request(base, "GET", "/health")[0] == 200
    except OSError:
        return False
