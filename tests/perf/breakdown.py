"""Where the microseconds of one `list`, `create` and `balance` request go, in-process.

Not a test: it prints a table. `make bench-breakdown` runs it on a temporary SQLite file (or
`--database-url`, which it empties). The app is built with production settings (the per-user
rate limit on, with a budget it cannot exhaust) and called as a WSGI app, so neither HTTP nor
gunicorn is counted. The functions each part is made of are wrapped with a stopwatch and whole
requests are run, so each part is timed where it really runs; "the rest" is the whole request
minus the parts: Flask's and flask-restful's dispatch, request and response objects.
"""

import argparse
import functools
import io
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from werkzeug.test import EnvironBuilder

sys.path[:0] = [str(Path(__file__).resolve().parents[n]) for n in (0, 2)]  # tests/perf, root

from bench import SECRET, production_environ, tokens_for  # noqa: E402
from bench_listing import fresh_app, seed  # noqa: E402
from flask_jwt_extended import view_decorators  # noqa: E402

from cashman import create_app  # noqa: E402
from cashman.models import Kind  # noqa: E402
from cashman.request_quota import RequestQuota  # noqa: E402
from cashman.resources import insights, transactions  # noqa: E402
from cashman.schemas.bodies import new_transaction_schemas  # noqa: E402
from cashman.schemas.responses import totals_schema, transaction_rows  # noqa: E402
from cashman.stores.ledger import Ledger  # noqa: E402
from cashman.stores.transactions import TransactionStore  # noqa: E402
from cashman.tokens import jwt  # noqa: E402
from config import load_config  # noqa: E402

BODY = b'{"description": "Salary", "amount": "5000.00", "category": "work"}'
REQUESTS = 2000
TOKEN = "token check: JWT decode and claims (flask-jwt-extended, PyJWT)"
# Timed inside the token check, and shown apart from it.
REVOCATION = "revocation read (the request's first statement: it takes the connection)"


class Stopwatch:
    """Time spent inside chosen functions, per part, while whole requests run."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def time(self, owner: object, name: str, part: str) -> None:
        """Time `owner.name` (a module's function, a class's method or an object's attribute)."""
        function = getattr(owner, name)
        self.seconds[part] = 0.0

        @functools.wraps(function)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[part] += time.perf_counter() - start

        setattr(owner, name, timed)

    def reset(self) -> None:
        self.seconds = dict.fromkeys(self.seconds, 0.0)


def production_app(url: str):
    seeding = fresh_app(url, SECRET)
    seed(seeding, "list", 10_000)
    seed(seeding, "writer", 0)
    tokens = tokens_for(seeding, ["list", "writer"])
    environ = production_environ(url)
    app = create_app(load_config(environ))
    # The migration above configured the root logger (alembic's logging.ini); a server process
    # has only the app's JSON handler. Its lines go to /dev/null here instead of the terminal.
    logging.getLogger().handlers.clear()
    logging.getLogger("cashman").handlers[0].setStream(open(os.devnull, "w"))  # noqa: SIM115
    return app, tokens


def time_the_parts(app, watch: Stopwatch) -> None:
    """Wrap what the requests call (each name is looked up where it is called)."""
    body, dump = "body: parse and validate", "dump (marshmallow)"
    watch.time(view_decorators, "verify_jwt_in_request", TOKEN)
    watch.time(jwt, "_token_in_blocklist_callback", REVOCATION)
    watch.time(RequestQuota, "spend", "per-user rate limit")
    watch.time(transactions, "load_query", "query parameters (marshmallow)")
    watch.time(insights, "load_query", "query parameters (marshmallow)")
    watch.time(transactions, "read_json", body)
    watch.time(new_transaction_schemas[Kind.INCOME], "load", body)
    watch.time(TransactionStore, "page", "page query, 51 rows")
    # X-Total-Count of an unfiltered list reads the running totals, as /balance does.
    watch.time(TransactionStore, "totals", "running totals (X-Total-Count, /balance)")
    watch.time(transaction_rows, "many", "dump of the rows (compiled plan)")
    watch.time(transactions, "encode_cursor", "cursor and Link")
    watch.time(transactions, "next_page_link", "cursor and Link")
    watch.time(Ledger, "create", "insert (and, on PostgreSQL, running totals)")
    watch.time(Ledger, "commit", "running totals, commit")
    watch.time(totals_schema, "dump", dump)
    watch.time(app.json, "make_response", "JSON response")
    watch.time(app, "process_response", "after-request hooks (log line, headers)")
    watch.time(app, "do_teardown_request", "teardown (session closed)")
    watch.time(app, "do_teardown_appcontext", "teardown (session closed)")


def run(app, request: dict, count: int) -> None:
    statuses = []

    def start_response(status: str, headers: list, exc_info=None) -> None:
        statuses.append(status)

    # The environ is built once (Werkzeug's builder takes longer than some parts); each request
    # gets a copy of it with its own body stream.
    environ = EnvironBuilder(**request).get_environ()
    body_bytes = environ["wsgi.input"].read()
    for _ in range(count):
        body = app({**environ, "wsgi.input": io.BytesIO(body_bytes)}, start_response)
        b"".join(body)
        body.close()
        assert statuses.pop()[:1] == "2"


def report(app, watch: Stopwatch, name: str, request: dict) -> None:
    run(app, request, REQUESTS // 4)  # warm up
    watch.reset()
    start = time.perf_counter()
    run(app, request, REQUESTS)
    total = (time.perf_counter() - start) / REQUESTS * 1e6
    parts = {part: seconds / REQUESTS * 1e6 for part, seconds in watch.seconds.items() if seconds}
    parts[TOKEN] -= parts[REVOCATION]
    parts["the rest: Flask, flask-restful, request and response objects"] = total - sum(
        parts.values()
    )
    print(f"\n`{name}`: {request['method']} {request['path']}, {total:.0f} µs in all\n")
    print("| part | µs | share |\n| --- | ---: | ---: |")
    for part, value in parts.items():
        print(f"| {part} | {value:.0f} | {value / total:.0%} |")


def request_of(method: str, path: str, token: str, body: bytes | None = None) -> dict:
    return dict(
        path=path,
        method=method,
        headers={"Authorization": f"Bearer {token}"},
        data=body,
        content_type="application/json" if body else None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/breakdown.db"
        app, tokens = production_app(url)
        watch = Stopwatch()
        time_the_parts(app, watch)
        print(f"## {url.split(':')[0]}, {os.cpu_count()} cores, {REQUESTS} requests, in-process")
        report(app, watch, "list", request_of("GET", "/incomes", tokens["list"]))
        report(app, watch, "create", request_of("POST", "/incomes", tokens["writer"], BODY))
        report(app, watch, "balance", request_of("GET", "/balance", tokens["list"]))


if __name__ == "__main__":
    main()
