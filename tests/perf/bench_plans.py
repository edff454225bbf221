"""Budgets and import at scale: a month's budget for a user owning 100,000 rows against /balance
over the same month, and importing 10,000 rows (CSV) into a new user and into that user.

Not a test: it prints figures (in-process, no HTTP server: the same app, database and request
path as served, without the socket). Run with `make bench` or
`PYTHONPATH=. python tests/perf/bench_plans.py [--database-url URL]`. The database is emptied and
migrated first, so never point it at real data.
"""

import argparse
import csv
import io
import statistics
import tempfile
import time

from bench_listing import fresh_app, median_ms, seed, token_and_deep_cursor

from cashman.stores.users import find_user
from cashman.tokens import issue_tokens

ROWS = 100_000
IMPORT_ROWS = 10_000
IMPORTS = 3
MONTH = "2020-06"  # inside the seed's ten years


def bank_file(seed_number: int) -> bytes:
    """A bank-like CSV of IMPORT_ROWS rows over a year, every row distinct."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["type", "date", "description", "amount", "category"])
    for n in range(IMPORT_ROWS):
        kind = "INCOME" if n % 10 == 0 else "EXPENSE"
        day = f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d}"
        amount = f"{n % 900 + 1}.{(n * 7) % 100:02d}"
        writer.writerow([kind, day, f"Shop {seed_number}-{n}", amount, f"cat{n % 15}"])
    return out.getvalue().encode()


def import_seconds(client, headers: dict, body: bytes, expected: dict) -> float:
    start = time.perf_counter()
    response = client.post(
        "/transactions/import", data=body, headers={**headers, "Content-Type": "text/csv"}
    )
    seconds = time.perf_counter() - start
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == expected, response.get_json()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        app = fresh_app(url)
        seed(app, "owner", ROWS)
        for n in range(IMPORTS):
            seed(app, f"new{n}", 0)
        client = app.test_client()
        token, _ = token_and_deep_cursor(app, "owner")
        headers = {"Authorization": f"Bearer {token}"}
        for category in ("food", "rent", "travel"):
            response = client.put(
                f"/budgets/{MONTH}/{category}", json={"amount": 900}, headers=headers
            )
            assert response.status_code == 200, response.get_json()
        paths = {
            "/balance, the month": f"/balance?from={MONTH}-01&to={MONTH}-30",
            "/budgets/<month>": f"/budgets/{MONTH}",
            "/categories": "/categories",
        }
        for path in paths.values():
            median_ms(client, path, headers, 5)  # warm up
        figures = {
            name: median_ms(client, path, headers, args.repeat) for name, path in paths.items()
        }
        print(
            f"database: {url.split(':')[0]}; a user owning {ROWS} rows; median of {args.repeat} "
            "requests, in-process"
        )
        base = figures["/balance, the month"]
        for name, milliseconds in figures.items():
            print(f"{name:>28}: {milliseconds:7.2f} ms  ({milliseconds / base:.2f}x /balance)")
        fresh = []
        for n in range(IMPORTS):
            with app.test_request_context():
                new_token = issue_tokens(find_user(f"new{n}"), "bench")["access_token"]
            new_headers = {"Authorization": f"Bearer {new_token}"}
            created = {"created": IMPORT_ROWS, "skipped_duplicates": 0}
            fresh.append(import_seconds(client, new_headers, bank_file(n), created))
        into_owner = import_seconds(
            client, headers, bank_file(0), {"created": IMPORT_ROWS, "skipped_duplicates": 0}
        )
        again = import_seconds(
            client, headers, bank_file(0), {"created": 0, "skipped_duplicates": IMPORT_ROWS}
        )
        size = len(bank_file(0)) / 2**20
        print(
            f"{'import of 10,000 CSV rows':>28}: {statistics.median(fresh):7.2f} s median of "
            f"{IMPORTS} into new users ({size:.2f} MiB); {into_owner:.2f} s into the owner of "
            f"{ROWS}; {again:.2f} s again (all duplicates)"
        )


if __name__ == "__main__":
    main()
