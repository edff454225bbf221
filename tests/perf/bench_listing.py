"""Reads at scale: first page, deep page, /balance, a /sync page from a recent `since` and a
month's budget, for a user owning 100 vs 100,000 rows.

Not a test: it prints figures. Run with `make bench-listing` (SQLite) or
`make bench-listing DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test`.
The database is emptied and migrated first, so never point it at real data.
"""

import argparse
import random
import statistics
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta

import flask_migrate
from sqlalchemy import insert, text

from cashman import create_app
from cashman.database import db, register_migrations
from cashman.filters import Filters, fold
from cashman.models import (
    Account,
    AccountKind,
    Kind,
    Transaction,
    TransactionTotal,
    User,
    new_public_id,
)
from cashman.paging import encode_cursor
from cashman.stores.transactions import TransactionStore
from cashman.stores.users import find_user
from config import TestingConfig

SIZES = (100, 100_000)
BATCH = 5_000


def fresh_app(url: str, secret: str = "b" * 48):
    """An app on an emptied, freshly migrated database."""
    app = create_app(TestingConfig({"DATABASE_URL": url, "JWT_SECRET_KEY": secret}))
    register_migrations(app)
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        flask_migrate.upgrade()
    return app


KINDS = [kind for kind in AccountKind if kind is not AccountKind.checking]


def seed(app, username: str, count: int, accounts: int = 1) -> list[uuid.UUID]:
    """Insert a user with `accounts` accounts and `count` rows spread over them, in bulk, with
    the running totals and the versions the store would keep: the default account ("Main", in
    DEFAULT_CURRENCY) is the user's first change (version 1), the other accounts the next ones
    (every third in EUR, the rest in DEFAULT_CURRENCY), then the rows, so the user's change
    counter ends at `accounts + count`. Returns the accounts' ids, the default one first."""
    rng = random.Random(count)
    first_day = date(2016, 1, 1)
    now = datetime.now(UTC)
    currency = app.config["DEFAULT_CURRENCY"]
    opened = [
        dict(
            public_id=new_public_id(),
            name=name,
            name_key=fold(name),
            kind=AccountKind.checking if n == 0 else KINDS[(n - 1) % len(KINDS)],
            currency="EUR" if n % 3 == 2 else currency,
            opening_balance_minor=0,
            archived=False,
            is_default=n == 0,
            created_at=now,
            updated_at=now,
            version=n + 1,
            created_version=n + 1,
        )
        for n, name in enumerate(["Main", *(f"Account {n:02d}" for n in range(1, accounts))])
    ]
    with app.app_context():
        user = User(username=username, password_hash="not-a-hash", server_knowledge=0)
        db.session.add(user)
        db.session.flush()
        db.session.execute(insert(Account), [{**each, "user_id": user.id} for each in opened])
        totals: dict[tuple, list[int]] = {}
        rows = []
        for n in range(count):
            kind = Kind.INCOME if n % 4 == 0 else Kind.EXPENSE
            minor = rng.randint(1, 500_000) * (1 if kind is Kind.INCOME else -1)
            account = opened[n % accounts]
            total = totals.setdefault((account["public_id"], kind), [0, 0])
            total[0] += 1
            total[1] += minor
            version = accounts + n + 1
            rows.append(
                dict(
                    user_id=user.id,
                    type=kind,
                    description=f"row {n}",
                    search_text=f"row {n}",
                    amount_minor=minor,
                    account_id=account["public_id"],
                    currency=account["currency"],
                    category=rng.choice(["food", "rent", "work", None]),
                    date=first_day + timedelta(days=rng.randrange(3650)),
                    created_at=now,
                    updated_at=now,
                    version=version,
                    created_version=version,
                )
            )
            if len(rows) == BATCH:
                db.session.execute(insert(Transaction), rows)
                rows = []
        if rows:
            db.session.execute(insert(Transaction), rows)
        if totals:
            db.session.execute(
                insert(TransactionTotal),
                [
                    dict(user_id=user.id, account_id=account_id, type=kind, count=n, amount_minor=m)
                    for (account_id, kind), (n, m) in totals.items()
                ],
            )
        user.server_knowledge = accounts + count
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    return [each["public_id"] for each in opened]


def token_and_deep_cursor(app, username: str) -> tuple[str, str]:
    """An access token, and the cursor of the user's last page of 50 (the deepest one)."""
    from cashman.tokens import issue_tokens

    with app.test_request_context():
        user = find_user(username)
        tokens = issue_tokens(user, "bench")
        rows = [row for batch in TransactionStore(user.id).batches(Filters()) for row in batch]
        return tokens["access_token"], encode_cursor(rows[-51])  # the last page holds 50


def median_ms(client, path: str, headers: dict, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200, response.get_json()
    return statistics.median(timings) * 1000


def export_figures(client, headers: dict) -> tuple[float, float, int]:
    """Seconds to stream the whole CSV export, peak traced memory in MiB, and its row count."""
    tracemalloc.start()
    start = time.perf_counter()
    response = client.get("/transactions.csv", headers=headers)
    rows = sum(chunk.count(b"\r\n") for chunk in response.response) - 1
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak, rows


PATHS = {  # column: path ({cursor}: the cursor of the user's last page; {recent}: 50 changes ago)
    "first page": "/transactions",
    "deep page": "/transactions?cursor={cursor}",
    "/balance": "/balance",
    "recent /sync": "/sync?limit=50&since={recent}",
    "month budget": "/budgets/2020-06",
    "filtered page": "/transactions?category=food",
    "filtered /balance": "/balance?from=2016-01-01",
}


def print_row(label: str, values: list[float]) -> None:
    cells = (f"{value:>{len(name)}.2f}" for value, name in zip(values, PATHS, strict=True))
    print(f"{label:>8}  " + "  ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        app = fresh_app(url)
        for size in SIZES:
            seed(app, f"user{size}", size)
        client = app.test_client()
        print(f"database: {url.split(':')[0]}; median of {args.repeat} requests in ms, in-process")
        print("filtered: the count or sum runs over the matching rows, not the running totals")
        print(f"{'rows':>8}  " + "  ".join(PATHS))
        figures, tokens = {}, {}
        for size in SIZES:
            token, cursor = token_and_deep_cursor(app, f"user{size}")
            tokens[size] = headers = {"Authorization": f"Bearer {token}"}
            recent = 1 + size - 50  # the default account's version, then the rows'
            paths = [path.format(cursor=cursor, recent=recent) for path in PATHS.values()]
            for path in paths:  # warm up caches and connections
                median_ms(client, path, headers, 5)
            figures[size] = [median_ms(client, path, headers, args.repeat) for path in paths]
            print_row(str(size), figures[size])
        small, large = (figures[size] for size in SIZES)
        print_row("ratio", [b / a for a, b in zip(small, large, strict=True)])
        print("CSV export, streamed whole (tracemalloc on, so slower than without):")
        for headers in tokens.values():
            seconds, peak, rows = export_figures(client, headers)
            print(f"{rows:>8} rows in {seconds:.2f} s, peak Python memory {peak:.1f} MiB")


if __name__ == "__main__":
    main()
