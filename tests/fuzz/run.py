"""`make fuzz`: schemathesis against the real server on 127.0.0.1, with a real user's token.

Starts boot.sh (production settings, gunicorn) on a fresh temporary SQLite database (or on
--database-url, which it migrates and writes to), registers a user, and runs schemathesis over
every operation of the served /openapi.json with its server-error, status-code, content-type and
response-schema checks. Exits non-zero on any failure. Logging out, signing out a session (the
fuzzer finds its own through GET /auth/sessions) and deleting the account are left out: they would
end the token's life halfway through (tests/test_auth.py and tests/test_sessions.py cover them).
"""

import argparse
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[n]) for n in (1, 2)]  # tests/, root

from live import request, running_server  # noqa: E402

from config import RATE_LIMITS  # noqa: E402

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
SKIPPED = ("postLogout", "deleteSession", "deleteMe")


def token_for_new_user(base: str) -> str:
    credentials = {"username": f"fuzz-{secrets.token_hex(4)}", "password": secrets.token_hex(12)}
    status, _, _ = request(base, "POST", "/auth/register", credentials)
    assert status == 201, status
    status, _, tokens = request(base, "POST", "/auth/login", credentials)
    assert status == 200, status
    return tokens["access_token"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/fuzz.db"
        # Rate limits off: thousands of requests with one token would mostly test the 429.
        limits_off = {name: "off" for name in RATE_LIMITS}
        with running_server(url, JWT_ACCESS_TOKEN_EXPIRES="3600", **limits_off) as base:
            command = [
                str(Path(sys.executable).parent / "schemathesis"),
                "run",
                f"{base}/openapi.json",
                "--checks",
                ",".join(CHECKS),
                "--max-examples",
                str(args.max_examples),
                "--seed",
                str(args.seed),
                "--header",
                f"Authorization: Bearer {token_for_new_user(base)}",
                "--generation-database",
                "none",
                "--request-timeout",
                "10",
                "--workers",
                "2",
                "--no-color",
                *(option for skipped in SKIPPED for option in ("--exclude-operation-id", skipped)),
            ]
            return subprocess.run(command, cwd=scratch).returncode


if __name__ == "__main__":
    sys.exit(main())
