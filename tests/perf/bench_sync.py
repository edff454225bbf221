"""Sync at scale, for a user owning 100,000 rows: GET /sync pages against a 500-row list page,
and POST /sync batches of 500 creates.

Not a test: it prints figures (in-process, no HTTP server: the same app, database and request
path as served, without the socket). Run with `make bench` or
`PYTHONPATH=. python tests/perf/bench_sync.py [--database-url URL]`. The database is emptied and
migrated first, so never point it at real data.
"""

import argparse
import statistics
import tempfile
import time
import uuid

from bench_listing import fresh_app, median_ms, seed, token_and_deep_cursor

ROWS = 100_000
PAGE = 500
BATCHES = 10


def creates(count: int) -> list[dict]:
    return [
        {
            "op": "upsert",
            "id": str(uuid.uuid4()),
            "type": "EXPENSE",
            "description": f"offline {n}",
            "amount": "3.20",
            "category": "food",
            "date": "2026-12-02",
        }
        for n in range(count)
    ]


def batch_seconds(client, headers: dict) -> list[float]:
    """Seconds per POST /sync of PAGE new rows, BATCHES times."""
    timings = []
    for _ in range(BATCHES):
        body = {"operations": creates(PAGE)}
        start = time.perf_counter()
        response = client.post("/sync", json=body, headers=headers)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200, response.get_json()
        assert {result["status"] for result in response.get_json()["results"]} == {"created"}
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        app = fresh_app(url)
        seed(app, "owner", ROWS)
        client = app.test_client()
        token, _ = token_and_deep_cursor(app, "owner")
        headers = {"Authorization": f"Bearer {token}"}
        # Some deletes, so that a recent page holds tombstones too.
        for row in client.get("/transactions?limit=100", headers=headers).get_json()[::2]:
            client.delete(f"/{row['type'].lower()}s/{row['id']}", headers=headers)
        knowledge = 1 + ROWS + 50  # the default account's and the rows' versions, the deletes'
        recent = knowledge - PAGE  # the last PAGE changes: rows and tombstones
        paths = {
            "list page of 500": f"/transactions?limit={PAGE}",
            "/sync from 0": f"/sync?limit={PAGE}",
            "/sync from a recent since": f"/sync?limit={PAGE}&since={recent}",
        }
        for path in paths.values():
            median_ms(client, path, headers, 5)  # warm up
        figures = {
            name: median_ms(client, path, headers, args.repeat) for name, path in paths.items()
        }
        timings = batch_seconds(client, headers)
        print(
            f"database: {url.split(':')[0]}; a user owning {ROWS} rows (counter at "
            f"{knowledge}); median of {args.repeat} requests, in-process"
        )
        base = figures["list page of 500"]
        for name, milliseconds in figures.items():
            print(f"{name:>28}: {milliseconds:7.2f} ms  ({milliseconds / base:.2f}x the list page)")
        seconds = statistics.median(timings)
        slowest = max(timings) * 1000
        print(
            f"{'POST /sync, 500 creates':>28}: {seconds * 1000:7.2f} ms median of {BATCHES} "
            f"batches = {PAGE / seconds:,.0f} operations/s (slowest batch {slowest:.1f} ms)"
        )


if __name__ == "__main__":
    main()
