"""The container's start script against a real gunicorn: migrations, then JSON on every path.

flask-restful's 500s only show when exceptions are not propagated, so this runs the real
production stack (CASHMAN_ENV=production, gunicorn workers) on 127.0.0.1.
"""

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

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


@pytest.fixture
def live_server(migrated_url, another_app):
    port = free_port()
    process = subprocess.Popen(
        ["./boot.sh"],
        cwd=ROOT,
        env=boot_env(migrated_url, port, STRONG_SECRET),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if request(base, "GET", "/health")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"server did not start:\n{process.communicate()[0]}")
    yield base
    process.terminate()
    output = process.communicate(timeout=30)[0]
    another_app()  # empties the tables this test wrote to
    assert "Traceback" not in output, output


def test_start_script_serves_the_api_with_json_everywhere(live_server):
    base = live_server
    status, headers, body = request(base, "GET", "/health/ready")
    assert (status, headers["Content-Type"], body) == (200, "application/json", {"status": "ok"})

    status, headers, body = request(base, "GET", "/incomes")
    assert (status, headers["Content-Type"], headers["WWW-Authenticate"]) == (
        401,
        "application/problem+json",
        "Bearer",
    )
    assert body["title"] == "Unauthorized"

    status, headers, body = request(base, "GET", "/incomes", token="garbage")
    assert (status, headers["WWW-Authenticate"]) == (401, 'Bearer error="invalid_token"')
    assert body["detail"] == "The token is invalid: Not enough segments."

    status, _, body = request(
        base, "POST", "/auth/register", {"username": "alice", "password": "p" * 10}
    )
    assert status == 201 and body["username"] == "alice"
    status, _, tokens = request(
        base, "POST", "/auth/login", {"username": "alice", "password": "p" * 10}
    )
    assert status == 200
    token = tokens["access_token"]

    status, headers, created = request(
        base, "POST", "/incomes/", {"description": "Salary", "amount": "5000.10"}, token=token
    )
    assert status == 201
    assert headers["Location"] == f"/incomes/{created['id']}"
    status, _, listed = request(base, "GET", "/transactions", token=token)
    assert (status, listed) == (200, [created])

    for method, path, raw, expected in [
        ("POST", "/incomes", b"{", 400),
        ("POST", "/incomes", b'{"amount": 1.005, "description": "x"}', 422),
        ("GET", "/nowhere", None, 404),
        ("DELETE", "/incomes", None, 405),
        ("GET", "/incomes/99999999999999999999", None, 404),
    ]:
        status, headers, body = request(base, method, path, raw=raw, token=token)
        assert status == expected, (method, path, body)
        assert headers["Content-Type"] == "application/problem+json"
        assert body["status"] == expected

    status, headers, body = request(base, "POST", "/auth/refresh", token=token)
    assert status == 401 and headers["Content-Type"] == "application/problem+json"

    assert request(base, "POST", "/auth/logout", token=token)[0] == 204
    status, _, body = request(base, "GET", "/incomes", token=token)
    assert (status, body["detail"]) == (401, "The token has been revoked.")


def test_start_script_refuses_a_weak_secret_in_one_line(migrated_url):
    result = subprocess.run(
        ["./boot.sh"],
        cwd=ROOT,
        env=boot_env(migrated_url, free_port(), "weak"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("cashman: configuration error: set JWT_SECRET_KEY")
    assert result.stderr.count("\n") == 1


def test_gunicorn_refuses_a_weak_secret_in_one_line(migrated_url):
    result = subprocess.run(
        ["gunicorn", "--config", "config/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=boot_env(migrated_url, free_port(), "weak"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("cashman: configuration error: set JWT_SECRET_KEY")
    assert "\n" not in result.stderr.strip()
