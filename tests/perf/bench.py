"""`make bench`: Cashman against a ceiling app under wrk, both on gunicorn's production settings.

Starts Cashman (wsgi:app) and tests/perf/ceiling.py with config/gunicorn.conf.py on 127.0.0.1,
and measures each scenario for both in alternation (A, B, A, B ...), reporting requests/s, p50,
p99, errors, the peak RSS of each server's process tree, and the median of the per-round ratios
Cashman / ceiling: the headline, since absolute figures move from run to run on a shared machine.

    list     GET /incomes, first page of 50 with its headers; the user owns 10,000 rows
    create   POST /incomes
    transfer POST /transfers of 1.00 between two accounts (one currency) of a user; its cost is
             printed as create req/s / transfer req/s (median of the per-round quotients)
    balance  GET /balance over 10,000 rows
    budget month       GET /budgets/2020-06 of a user owning 100,000 rows
    sync page from 0   GET /sync?limit=500 of that user (500 rows in their latest state)
    sync page, recent  GET /sync?limit=500&since=99500: the last 500 changes
    refresh            POST /auth/refresh (a new pair each time)
    scale    first page p50 at one connection, for a user owning 100 and one owning 100,000 rows
    accounts GET /accounts p50 at one connection, for a user with 20 accounts and 100 rows and one
             with 20 accounts and 100,000 rows (and the ceiling's canned 20 accounts)
    POST /sync of 500 creates, and an import of 10,000 CSV rows: each body new (new ids, new
             rows), sent one at a time (5 of each, median), so every one writes its rows

The database is emptied and seeded: a temporary SQLite file by default, or --database-url.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[n]) for n in (0, 2)]  # tests/perf, root

from bench_listing import fresh_app, seed  # noqa: E402
from bench_plans import bank_file  # noqa: E402
from bench_sync import PAGE as BATCH_SIZE  # noqa: E402
from bench_sync import creates  # noqa: E402

from cashman.stores.users import find_user  # noqa: E402
from cashman.tokens import issue_tokens  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SECRET = "bench-secret-that-is-long-enough-for-hs256-0123456789"
CONNECTIONS = 16


def ensure_wrk() -> str:
    """wrk from Debian's package, installed (package lists refreshed first) when missing."""
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    return shutil.which("wrk")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(app: str, env: dict[str, str], chdir: Path = ROOT):
    """A gunicorn with config/gunicorn.conf.py on a free loopback port; yields (base, pid)."""
    port = free_port()
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            str(ROOT / "config" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            str(chdir),
            app,
        ],
        env={"PATH": os.environ["PATH"], **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/incomes", timeout=1)
            break
        except urllib.error.HTTPError:
            break  # it answers (a 401 is an answer)
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                log.seek(0)
                raise RuntimeError(log.read().decode()) from None
            time.sleep(0.2)
    try:
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def tree_memory_mb(pid: int) -> tuple[float, float]:
    """Resident memory of a process and its children in MB: the sum of their RSS, and of their
    PSS (proportional set size), which counts a page shared by n processes as 1/n in each.

    Pages shared between processes (the interpreter's, libraries') are counted once per process
    by the RSS sum, and once in all by the PSS sum.
    """
    pids = [pid] + [
        int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    ]
    rss = pss = 0
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return rss / 1024, pss / 1024


class PeakMemory:
    """Samples a process tree's memory every 0.2 s and keeps the peaks of both sums."""

    def __init__(self, pid: int) -> None:
        self.pid, self.rss, self.pss, self.stop = pid, 0.0, 0.0, threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self.stop.is_set():
            rss, pss = tree_memory_mb(self.pid)
            self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)
            time.sleep(0.2)


def lua(token: str | None, method: str = "GET", body: str | None = None) -> str:
    lines = [f'wrk.method = "{method}"']
    if token:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    if body:
        lines.append('wrk.headers["Content-Type"] = "application/json"')
        lines.append(f"wrk.body = '{body}'")
    return "\n".join(lines) + "\n"


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def run_wrk(wrk: str, url: str, script: str, seconds: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(script)
        file.flush()
        threads = min(2, connections)
        output = subprocess.run(
            [
                wrk,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                file.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    latency = {
        percent: float(value) * UNITS[unit]
        for percent, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", output, re.M)
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (
        sum(int(n) for n in sockets.groups()) if sockets else 0
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latency["50"],
        "p99": latency["99"],
        "errors": errors,
    }


def production_environ(url: str) -> dict[str, str]:
    """Cashman's settings for a benchmark: production, with the per-user limit checked on every
    request as in production but with a budget no benchmark exhausts (tokens are issued directly,
    so the login limits do not apply)."""
    return {
        "CASHMAN_ENV": "production",
        "JWT_SECRET_KEY": SECRET,
        "JWT_ACCESS_TOKEN_EXPIRES": "7200",
        "DATABASE_URL": url,
        "RATE_LIMIT_API_USER": "1000000000 per minute",
        "REFRESH_REUSE_GRACE_SECONDS": "86400",
    }


def refresh_token_for(app, username: str) -> str:
    """A refresh token, presented again and again: within REFRESH_REUSE_GRACE_SECONDS (set
    beyond the benchmark's length) each use rotates it and answers a new pair, as a retry does."""
    with app.test_request_context():
        return issue_tokens(find_user(username), "bench")["refresh_token"]


def tokens_for(app, usernames: list[str]) -> dict[str, str]:
    with app.test_request_context():
        return {name: issue_tokens(find_user(name), "bench")["access_token"] for name in usernames}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        app = fresh_app(url, SECRET)
        users = [("list", 10_000), ("small", 100), ("large", 100_000), ("writer", 0)]
        for name, rows in [*users, ("batcher", 0), ("importer", 0)]:
            seed(app, name, rows)
        for name, rows in ACCOUNT_USERS.items():
            seed(app, name, rows, accounts=ACCOUNTS)
        source, destination = seed(app, "mover", 0, accounts=2)  # both in DEFAULT_CURRENCY
        names = ["list", "small", "large", "writer", "batcher", "importer", "mover"]
        tokens = tokens_for(app, [*names, *ACCOUNT_USERS])
        refresh = refresh_token_for(app, "writer")
        env = production_environ(url)
        body = '{"description": "Salary", "amount": "5000.00", "category": "work"}'
        move = json.dumps(
            {"from_account_id": str(source), "to_account_id": str(destination), "amount": "1.00"}
        )
        # The large user's changes: its default account (version 1), then its rows.
        recent = f"/sync?limit=500&since={1 + 100_000 - 500}"
        scenarios = {
            "list": ("/incomes", lua(tokens["list"]), lua(None)),
            "create": ("/incomes", lua(tokens["writer"], "POST", body), lua(None, "POST", body)),
            "transfer": (
                "/transfers",
                lua(tokens["mover"], "POST", move),
                lua(None, "POST", move),
            ),
            "balance": ("/balance", lua(tokens["list"]), lua(None)),
            "budget month": ("/budgets/2020-06", lua(tokens["large"]), lua(None)),
            "sync page from 0": ("/sync?limit=500", lua(tokens["large"]), lua(None)),
            "sync page, recent": (recent, lua(tokens["large"]), lua(None)),
            "refresh": ("/auth/refresh", lua(refresh, "POST"), lua(None, "POST")),
        }
        with (
            gunicorn("wsgi:app", env) as (cashman, cashman_pid),
            gunicorn("ceiling:app", {}, ROOT / "tests" / "perf") as (ceiling, ceiling_pid),
        ):
            memory = {"cashman": PeakMemory(cashman_pid), "ceiling": PeakMemory(ceiling_pid)}
            results = {name: {"cashman": [], "ceiling": []} for name in scenarios}
            for path, ours, theirs in scenarios.values():  # warm-up
                run_wrk(wrk, cashman + path, ours, 1, CONNECTIONS)
                run_wrk(wrk, ceiling + path, theirs, 1, CONNECTIONS)
            for _ in range(args.rounds):
                for name, (path, ours, theirs) in scenarios.items():
                    results[name]["cashman"].append(
                        run_wrk(wrk, cashman + path, ours, args.seconds, CONNECTIONS)
                    )
                    results[name]["ceiling"].append(
                        run_wrk(wrk, ceiling + path, theirs, args.seconds, CONNECTIONS)
                    )
            scale = {
                size: statistics.median(
                    run_wrk(wrk, f"{cashman}/transactions", lua(tokens[user]), args.seconds, 1)[
                        "p50"
                    ]
                    for _ in range(args.rounds)
                )
                for size, user in [(100, "small"), (100_000, "large")]
            }
            accounts = accounts_p50(wrk, cashman, ceiling, tokens, args)
            for sampler in memory.values():
                sampler.stop.set()
            after_writes = PeakMemory(cashman_pid)
            writes = many_row_writes(cashman, ceiling, tokens)
            after_writes.stop.set()
        print_report(url, args, results, scale, accounts, memory)
        print_writes(writes, after_writes)


ACCOUNTS = 20
ACCOUNT_USERS = {"accounts100": 100, "accounts100k": 100_000}  # user: rows, over 20 accounts


def accounts_p50(wrk: str, cashman: str, ceiling: str, tokens: dict, args) -> dict[str, float]:
    """GET /accounts p50 at one connection, median of the rounds, for each ACCOUNT_USERS user
    and for the ceiling, measured in alternation within each round."""
    sides = {
        **{user: (cashman, lua(tokens[user])) for user in ACCOUNT_USERS},
        "ceiling": (ceiling, lua(None)),
    }
    for base, script in sides.values():  # warm-up
        run_wrk(wrk, f"{base}/accounts", script, 1, 1)
    runs: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(args.rounds):
        for side, (base, script) in sides.items():
            runs[side].append(run_wrk(wrk, f"{base}/accounts", script, args.seconds, 1)["p50"])
    return {side: statistics.median(p50s) for side, p50s in runs.items()}


WRITES = 5


def post_seconds(url: str, body: bytes, headers: dict[str, str]) -> float:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        assert response.status == 200, response.status
    return time.perf_counter() - start


def many_row_writes(cashman: str, ceiling: str, tokens: dict[str, str]) -> dict[str, dict]:
    """Median seconds of WRITES batches of 500 creates and WRITES imports of 10,000 rows, one at
    a time, each body new, on Cashman and on the ceiling app (in alternation)."""
    scenarios = {
        f"POST /sync, {BATCH_SIZE} creates": (
            "/sync",
            "batcher",
            "application/json",
            lambda n: json.dumps({"operations": creates(BATCH_SIZE)}).encode(),
        ),
        "import, 10,000 CSV rows": (
            "/transactions/import",
            "importer",
            "text/csv",
            lambda n: bank_file(1_000 + n),
        ),
    }
    figures = {}
    for name, (path, user, media_type, body_of) in scenarios.items():
        ours, theirs = [], []
        for n in range(WRITES):
            body = body_of(n)
            auth = {"Authorization": f"Bearer {tokens[user]}", "Content-Type": media_type}
            ours.append(post_seconds(cashman + path, body, auth))
            theirs.append(post_seconds(ceiling + path, body, {"Content-Type": media_type}))
        figures[name] = {"cashman": statistics.median(ours), "ceiling": statistics.median(theirs)}
    return figures


def print_writes(writes: dict[str, dict], memory: PeakMemory) -> None:
    print(f"\nWrites of many rows, one request at a time, median of {WRITES}:\n")
    print("| scenario | Cashman s | ceiling s | ratio |\n| --- | ---: | ---: | ---: |")
    for name, seconds in writes.items():
        ratio = seconds["ceiling"] / seconds["cashman"]
        print(
            f"| {name} | {seconds['cashman']:.3f} | {seconds['ceiling']:.3f} | **{ratio:.2f}x** |"
        )
    print(
        f"\nPeak memory of Cashman's process tree during these writes (sum of RSS / sum of PSS): "
        f"{memory.rss:.0f} / {memory.pss:.0f} MB"
    )


HEADER = (
    "| scenario | Cashman req/s | p50 ms | p99 ms | errors | ceiling req/s | p50 ms | p99 ms "
    "| ratio (median) |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def print_report(url, args, results, scale, accounts, memory) -> None:
    print(
        f"\n## {url.split(':')[0]}: {os.cpu_count()} cores, {args.rounds} rounds of "
        f"{args.seconds} s, {CONNECTIONS} connections, wrk, config/gunicorn.conf.py\n"
    )
    print(HEADER)
    for name, sides in results.items():
        ours, theirs = sides["cashman"], sides["ceiling"]
        ratio = statistics.median(a["rps"] / b["rps"] for a, b in zip(ours, theirs, strict=True))
        errors = sum(run["errors"] for run in ours + theirs)
        cells = [
            f"{median_of(ours, 'rps'):.0f}",
            f"{median_of(ours, 'p50'):.2f}",
            f"{median_of(ours, 'p99'):.2f}",
            str(errors),
            f"{median_of(theirs, 'rps'):.0f}",
            f"{median_of(theirs, 'p50'):.2f}",
            f"{median_of(theirs, 'p99'):.2f}",
            f"**{ratio:.2f}x**",
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    growth = scale[100_000] / scale[100]
    print(
        f"| scale | p50 at 1 connection: {scale[100]:.2f} ms (100 rows), "
        f"{scale[100_000]:.2f} ms (100,000 rows) | | | | | | | **{growth:.2f}x** |"
    )
    small, large = (accounts[user] for user in ACCOUNT_USERS)
    print(
        f"| GET /accounts | p50 at 1 connection, {ACCOUNTS} accounts: {small:.2f} ms (100 rows), "
        f"{large:.2f} ms (100,000 rows); ceiling {accounts['ceiling']:.2f} ms | | | | | | | "
        f"**{large / small:.2f}x** |"
    )
    cost = statistics.median(
        create["rps"] / transfer["rps"]
        for create, transfer in zip(
            results["create"]["cashman"], results["transfer"]["cashman"], strict=True
        )
    )
    print(
        f"\nA transfer costs **{cost:.2f}x** a create (create req/s / transfer req/s, median of "
        f"the per-round quotients; target <= 1.5x). GET /accounts growth 100 -> 100,000 rows: "
        f"**{large / small:.2f}x** (target <= 1.2x)."
    )
    ours, theirs = memory["cashman"], memory["ceiling"]
    print(
        f"\nPeak memory of the process tree (sum of RSS / sum of PSS): Cashman {ours.rss:.0f} / "
        f"{ours.pss:.0f} MB, ceiling {theirs.rss:.0f} / {theirs.pss:.0f} MB"
    )


if __name__ == "__main__":
    main()
