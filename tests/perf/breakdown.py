"""Where the microseconds of one `list` and one `create` request go, in-process.

Not a test: it prints a table. `make bench-breakdown` runs it on a temporary SQLite file (or
`--database-url`, which it empties). The app is built with production settings (the per-user
rate limit on, with a budget it cannot exhaust) and called as a WSGI app, so neither HTTP nor
gunicorn is counted. Each part is timed on its own with the same request in context; "the rest"
is the whole request minus the parts: Flask's and flask-restful's dispatch, request and response
objects, the session's teardown.
"""

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from werkzeug.test import EnvironBuilder

sys.path[:0] = [str(Path(__file__).resolve().parents[n]) for n in (0, 2)]  # tests/perf, root

from bench_listing import fresh_app, seed  # noqa: E402
from flask_jwt_extended import verify_jwt_in_request  # noqa: E402

from cashman import create_app  # noqa: E402
from cashman.limits import api_by_user  # noqa: E402
from cashman.models import Kind, User  # noqa: E402
from cashman.paging import encode_cursor, next_page_link  # noqa: E402
from cashman.schemas import (  # noqa: E402
    dump_transaction_rows,
    kind_page_query_schema,
    load_query,
    new_transaction_schemas,
    read_json,
    transaction_schema,
)
from cashman.store import Filters, current_store  # noqa: E402
from cashman.tokens import issue_tokens  # noqa: E402
from config import load_config  # noqa: E402

SECRET = "breakdown-secret-that-is-long-enough-for-hs256-0123"
BODY = b'{"description": "Salary", "amount": "5000.00", "category": "work"}'


def microseconds(work: Callable[[], object], batches: int = 7, calls: int = 200) -> float:
    """The median over batches of the mean time of one call, after a warm-up."""
    for _ in range(calls // 4):
        work()
    means = []
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(calls):
            work()
        means.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(means)


def production_app(url: str):
    seeding = fresh_app(url, SECRET)
    seed(seeding, "list", 10_000)
    seed(seeding, "writer", 0)
    with seeding.test_request_context():
        tokens = {
            name: issue_tokens(User.find(name))["access_token"] for name in ("list", "writer")
        }
    environ = {
        "CASHMAN_ENV": "production",
        "JWT_SECRET_KEY": SECRET,
        "DATABASE_URL": url,
        "RATE_LIMIT_API_USER": "1000000000 per minute",
    }
    app = create_app(load_config(environ))
    # The migration above configured the root logger (alembic's logging.ini); a server process
    # has only the app's JSON handler. Its lines go to /dev/null here instead of the terminal.
    logging.getLogger().handlers.clear()
    logging.getLogger("cashman").handlers[0].setStream(open(os.devnull, "w"))  # noqa: SIM115
    return app, tokens


def request_of(method: str, path: str, token: str, body: bytes | None = None) -> dict:
    return dict(
        path=path,
        method=method,
        headers={"Authorization": f"Bearer {token}"},
        data=body,
        content_type="application/json" if body else None,
    )


def whole_request(app, request: dict) -> Callable[[], None]:
    def call() -> None:
        statuses = []
        body = app(EnvironBuilder(**request).get_environ(), lambda s, h, e=None: statuses.append(s))
        b"".join(body)
        body.close()
        assert statuses[0][:1] == "2", statuses

    return call


def list_parts(app) -> dict[str, Callable[[], object]]:
    filters = Filters(kind=Kind.INCOME)
    store = current_store()
    rows = store.page(filters, 51)
    body = dump_transaction_rows(rows[:50])
    return {
        "token check (JWT decode, revocation read)": verify_jwt_in_request,
        "per-user rate limit": api_by_user(lambda: None),
        "query parameters (marshmallow)": lambda: load_query(kind_page_query_schema),
        "page query, 51 rows": lambda: store.page(filters, 51),
        "X-Total-Count (running totals)": lambda: store.count(filters),
        "dump of 50 rows": lambda: dump_transaction_rows(rows[:50]),
        "cursor and Link": lambda: next_page_link(encode_cursor(rows[49])),
        "JSON response": lambda: app.json.make_response(body, 200),
        "after-request hooks (log line, headers)": lambda: after_request_hooks(app),
    }


def after_request_hooks(app) -> None:
    """Run the hooks on a fresh response: they add headers, so a reused one would grow."""
    app.process_response(app.response_class(status=200))


def create_parts(app) -> dict[str, Callable[[], object]]:
    schema = new_transaction_schemas[Kind.INCOME]
    store = current_store()
    fields = schema.load(read_json())
    row = store.add(Kind.INCOME, fields)
    body = transaction_schema.dump(row)
    return {
        "token check (JWT decode, revocation read)": verify_jwt_in_request,
        "per-user rate limit": api_by_user(lambda: None),
        "body validation (marshmallow)": lambda: schema.load(read_json()),
        "insert, running totals, commit": lambda: store.add(Kind.INCOME, fields),
        "dump (marshmallow)": lambda: transaction_schema.dump(row),
        "JSON response": lambda: app.json.make_response(body, 201),
        "after-request hooks (log line, headers)": lambda: after_request_hooks(app),
    }


def report(app, name: str, request: dict, parts: Callable) -> None:
    total = microseconds(whole_request(app, request))
    with app.test_request_context(**request):
        app.preprocess_request()  # the request ID and start time the after-request hook reads
        verify_jwt_in_request()
        timings = {part: microseconds(work) for part, work in parts(app).items()}
    print(f"\n`{name}`: {request['method']} {request['path']}, {total:.0f} µs in all\n")
    print("| part | µs | share |\n| --- | ---: | ---: |")
    timings["the rest (Flask, flask-restful, teardown)"] = total - sum(timings.values())
    for part, value in timings.items():
        print(f"| {part} | {value:.0f} | {value / total:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/breakdown.db"
        app, tokens = production_app(url)
        print(f"## {url.split(':')[0]}, {os.cpu_count()} cores, in-process")
        report(app, "list", request_of("GET", "/incomes", tokens["list"]), list_parts)
        report(app, "create", request_of("POST", "/incomes", tokens["writer"], BODY), create_parts)


if __name__ == "__main__":
    main()
