"""The container's start script against a real gunicorn: migrations, then JSON on every path.

flask-restful's 500s only show when exceptions are not propagated, so this runs the real
production stack (CASHMAN_ENV=production, gunicorn workers) on 127.0.0.1.
"""

import json
import subprocess

import pytest
from live import ROOT, boot_env, free_port, request


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
    assert result.returncode == 1
    assert result.stderr.startswith("cashman: configuration error: set JWT_SECRET_KEY")
    assert result.stderr.count("\n") == 1


def test_the_live_server_serves_the_committed_openapi_document(live_server):
    status, headers, document = request(live_server, "GET", "/openapi.json")
    assert (status, headers["Content-Type"]) == (200, "application/json")
    assert document == json.loads((ROOT / "docs" / "openapi.json").read_text())
