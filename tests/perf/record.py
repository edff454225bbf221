"""Record what the API answers to a fixed script of requests, normalised, so that two runs (before
and after a refactoring, or SQLite against PostgreSQL) can be diffed.

Not a test: a script. The app is built in-process with production settings (TESTING off, so
errors take the production path; the address and per-user limits off as in tests/live.py,
the failed-login limit as shipped), on a temporary SQLite file or on the PostgreSQL URL given,
which is emptied and migrated first: never point it at real data. The requests are those of
record_scenario.py, which must reach every rule of the URL map (the run fails otherwise, so a
new route cannot be forgotten).

Each answer is kept as its status, its headers (all but Date and Content-Length) and its body
(JSON parsed with exact numbers, CSV and HTML as text, anything else as a digest), with what
changes from run to run replaced by placeholders: ids by the script's name for them or
<uuid:n>, tokens <token:n>, ETags <etag:n>, cursors <cursor:n> (numbered by first appearance,
so that two equal ones are still seen to be equal), timestamps <timestamp>, today's date
<today>, request ids <request-id>. Two runs of one code base write identical files.

    PYTHONPATH=. python tests/perf/record.py [--database-url URL] --out FILE
    PYTHONPATH=. python tests/perf/record.py --compare BEFORE AFTER [--intended LABEL ...]

`--compare` prints every entry that differs and exits 1 if any does (entries whose label
contains an `--intended` text are printed but do not fail).
"""

import argparse
import difflib
import hashlib
import logging
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[n]) for n in (0, 1, 2)]  # perf, tests, root

import flask  # noqa: E402
import simplejson  # noqa: E402
from bench_listing import fresh_app  # noqa: E402
from live import OPEN_LIMITS  # noqa: E402

from cashman import create_app  # noqa: E402
from cashman.database import db  # noqa: E402
from config import ProductionConfig  # noqa: E402

SECRET = "recorder-secret-that-is-long-enough-for-every-hmac-algorithm-0123456789"
SETTINGS = {
    **OPEN_LIMITS,
    "RATE_LIMIT_LOGIN_USERNAME": "5 per minute",  # as shipped: the lockout is behaviour
}
# A second app on the same database serves a browser app's origin (as CORS_ORIGINS would):
# the cross-origin requests and the cookie sign-in go to it.
WEB_ORIGIN = "https://app.example"
# Headers that say nothing about behaviour, or only repeat the body's length.
SKIPPED_HEADERS = {"date", "content-length"}
TEXT_TYPES = ("text/csv", "text/html", "text/plain")
MAX_TEXT = 20_000  # a longer non-JSON body is kept as its digest

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00")
CURSOR = re.compile(r"(cursor=)([^&>;\s]+)")
ETAG = re.compile(r'(W/)?"([^"]*)"')
REQUEST_ID = re.compile(r"[0-9a-f]{32}")
THIRTY_DAYS = 30 * 24 * 3600


@dataclass
class Exchange:
    """One request as sent and its answer as received, before normalisation."""

    label: str
    method: str
    path: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    sent_request_id: str | None
    log: list[tuple[str, str, str]]
    facts: dict[str, Any] = field(default_factory=dict)


class LogCapture(logging.Handler):
    """Warnings and errors the app logs, kept per request (the request log itself is not)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[tuple[str, str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            message += f" [{record.exc_info[0].__name__}]"
        self.records.append((record.levelname, record.name, message))

    def take(self) -> list[tuple[str, str, str]]:
        taken, self.records = self.records, []
        return taken


class Recorder:
    """Sends requests to the app and keeps every exchange, with the URL rules it reached."""

    def __init__(self, app: flask.Flask, web_app: flask.Flask) -> None:
        self.app = app
        self.web_app = web_app
        self.entries: list[Exchange] = []
        self.names: dict[str, str] = {}
        self.rules_hit: set[tuple[str, str]] = set()
        self.capture = LogCapture()
        for name in ("cashman", "flask-limiter"):  # their handler writes JSON lines to stderr
            logging.getLogger(name).handlers[:] = [self.capture]
            logging.getLogger(name).propagate = False
        logging.getLogger().addHandler(self.capture)
        for served in (app, web_app):
            flask.request_started.connect(self._note_rule, served)

    def client(
        self, web: bool = False, cookies: bool = False, user_agent: str = "cashman-recorder"
    ):
        """A test client of the app, or of the one serving WEB_ORIGIN (`web`); with `cookies`
        it keeps them, as a browser does."""
        client = (self.web_app if web else self.app).test_client(use_cookies=cookies)
        client.environ_base["HTTP_USER_AGENT"] = user_agent
        return client

    def _note_rule(self, sender: flask.Flask, **extra: Any) -> None:
        rule = flask.request.url_rule
        if rule is not None:
            self.rules_hit.add((rule.rule, flask.request.method))

    def name(self, value: str, name: str) -> None:
        """Show this id as <name> instead of a number (<name#2> if another id has the name)."""
        taken = set(self.names.values()) - {self.names.get(value.lower())}
        unique, n = name, 1
        while unique in taken:
            n += 1
            unique = f"{name}#{n}"
        self.names[value.lower()] = unique

    def send(self, client, label: str, method: str, path: str, **options: Any):
        """Send one request (the test client's `open` options) and keep the exchange."""
        headers = options.setdefault("headers", {})
        response = client.open(path, method=method, **options)
        body = response.get_data()
        response.close()
        self.entries.append(
            Exchange(
                label=self._unique(label),
                method=method,
                path=path,
                status=response.status_code,
                headers=list(response.headers.items()),
                body=body,
                sent_request_id=headers.get("X-Request-ID"),
                log=self.capture.take(),
            )
        )
        return response

    def fact(self, name: str, value: Any) -> None:
        """A relation between answers the placeholders hide (a timestamp that did not move)."""
        self.entries[-1].facts[name] = value

    def _unique(self, label: str) -> str:
        taken = {entry.label for entry in self.entries}
        if label not in taken:
            return label
        n = 2
        while f"{label} #{n}" in taken:
            n += 1
        return f"{label} #{n}"


class Normaliser:
    """Replaces what differs between runs by placeholders, numbered by first appearance."""

    def __init__(self, names: dict[str, str], today: str) -> None:
        self.names = names
        self.today = today
        self.this_month = today[:7]
        self.numbers: dict[str, dict[str, int]] = {}

    def number(self, kind: str, value: str) -> str:
        seen = self.numbers.setdefault(kind, {})
        seen.setdefault(value, len(seen) + 1)
        return f"<{kind}:{seen[value]}>"

    def uuid(self, value: str) -> str:
        value = value.lower()
        if value in self.names:
            return f"<{self.names[value]}>"
        return self.number("uuid", value)

    def text(self, value: str) -> str:
        """Ids, tokens, cursors, timestamps and today's date inside any text."""
        value = JWT.sub(lambda m: self.number("token", m.group()), value)
        value = CURSOR.sub(lambda m: m.group(1) + self.number("cursor", m.group(2)), value)
        value = UUID.sub(lambda m: self.uuid(m.group()), value)
        value = TIMESTAMP.sub("<timestamp>", value)
        return value.replace(self.today, "<today>")

    def json(self, value: Any, key: str | None = None, request_id: str | None = None) -> Any:
        """A parsed JSON body; dicts are walked in key order so numbering ignores key order."""
        if isinstance(value, dict):
            return {
                name: self.json(value[name], name, request_id) for name in sorted(value, key=str)
            }
        if isinstance(value, list):
            return [self.json(item, key, request_id) for item in value]
        if isinstance(value, str):
            if key == "request_id":
                return "<request-id>" if value == request_id else f"<other request id {value}>"
            if value == self.this_month:
                return "<this-month>"
            return self.text(value)
        if key == "refresh_expires_in" and isinstance(value, int):
            return seconds_left(value)
        return value

    def headers(self, exchange: Exchange) -> dict[str, Any]:
        kept: dict[str, Any] = {}
        for name, value in exchange.headers:
            lower = name.lower()
            if lower in SKIPPED_HEADERS:
                continue
            if lower == "set-cookie":
                kept.setdefault("Set-Cookie", []).append(self.cookie(value))
                continue
            kept[name] = self.header(lower, value, exchange)
        if "Set-Cookie" in kept:
            kept["Set-Cookie"].sort()
        return dict(sorted(kept.items()))

    def header(self, name: str, value: str, exchange: Exchange) -> str:
        if name == "x-request-id":
            if value == exchange.sent_request_id:
                return value
            return "<request-id>" if REQUEST_ID.fullmatch(value) else value
        if name == "etag":
            return ETAG.sub(
                lambda m: f'{m.group(1) or ""}"{self.number("etag", m.group(2))}"', value
            )
        if name == "allow":  # from a set: its order changes from run to run
            return ", ".join(sorted(value.split(", ")))
        if name == "last-modified":  # of a file of the installed Swagger UI package
            return "<http-date>"
        if name == "ratelimit-reset":
            return "<unix-time>"
        if name == "retry-after" and exchange.status == 429:
            return "<seconds>"
        return self.text(value)

    def cookie(self, value: str) -> str:
        """A Set-Cookie header: its name, whether it has a value, and its attributes."""
        name, _, rest = value.partition("=")
        cookie_value, *attributes = rest.split("; ")
        shown = [f"{name}={'<value>' if cookie_value else ''}"]
        for attribute in attributes:
            key, _, setting = attribute.partition("=")
            if key.lower() == "expires" and not setting.startswith("Thu, 01 Jan 1970"):
                attribute = "Expires=<date>"
            elif key.lower() == "max-age" and setting.isdigit():
                attribute = f"Max-Age={seconds_left(int(setting))}"
            shown.append(attribute)
        return "; ".join(shown)

    def body(self, exchange: Exchange, content_type: str) -> tuple[Any, dict[str, Any]]:
        """The body as kept, and how it was written (JSON layout, or length and digest)."""
        raw = exchange.body
        if not raw:
            return None, {}
        media = content_type.split(";")[0].strip()
        if media.endswith("json"):
            decoded = raw.decode()
            try:
                parsed = simplejson.loads(decoded, use_decimal=True)
            except ValueError:
                return self.text(decoded), {"json": "unreadable"}
            if exchange.path.startswith("/openapi.json") and exchange.status == 200:
                return openapi_summary(parsed), {"sha256": digest(raw)}
            request_id = dict(exchange.headers).get("X-Request-ID")
            return self.json(parsed, request_id=request_id), json_layout(decoded)
        if media in TEXT_TYPES and len(raw) <= MAX_TEXT:
            return self.text(raw.decode()), {}
        return None, {"bytes": len(raw), "sha256": digest(raw)}

    def entry(self, index: int, exchange: Exchange) -> dict[str, Any]:
        headers = self.headers(exchange)
        body, body_format = self.body(exchange, headers.get("Content-Type", ""))
        entry = {
            "n": index,
            "label": exchange.label,
            "request": f"{exchange.method} {self.path(exchange.path)}",
            "status": exchange.status,
            "headers": headers,
            "body": body,
        }
        if body_format:
            entry["body_format"] = body_format
        if exchange.log:
            entry["log"] = [
                [level, logger, self.text(text)] for level, logger, text in exchange.log
            ]
        if exchange.facts:
            entry["facts"] = exchange.facts
        return entry

    def path(self, path: str) -> str:
        if len(path) > 200:
            path = f"{path[:40]}...({len(path)} characters)"
        return self.text(path)


def seconds_left(value: int) -> int | str:
    """A session's remaining lifetime, which is a second or two less than 30 days by the time
    it is written: the same placeholder whatever the machine's speed."""
    return "<30 days>" if THIRTY_DAYS - 60 <= value <= THIRTY_DAYS else value


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')


def json_layout(text: str) -> dict[str, Any]:
    """How a JSON body was written: spacing, the final newline, and non-ASCII escaped or not."""
    skeleton = STRINGS.sub('""', text)
    spaced = re.search(r'"": |, ', skeleton) is not None
    compact = re.search(r'"":[^ ]|,[^ \n]', skeleton) is not None
    layout = {True: {True: "mixed", False: "spaced"}, False: {True: "compact", False: "flat"}}
    return {
        "layout": "indented" if "\n" in skeleton.rstrip("\n") else layout[spaced][compact],
        "final_newline": text.endswith("\n"),
        "escapes_non_ascii": re.search(r"\\u(?!00[0-7])[0-9a-fA-F]{4}", text) is not None,
    }


def openapi_summary(document: dict[str, Any]) -> dict[str, Any]:
    """What the OpenAPI document offers, by path and method: its answers and their media types
    (the whole document is docs/openapi.json; its digest is in body_format)."""
    paths = {}
    for path, operations in document.get("paths", {}).items():
        paths[path] = {
            method: {
                status: sorted((response.get("content") or {}).keys())
                for status, response in operation.get("responses", {}).items()
            }
            for method, operation in operations.items()
            if isinstance(operation, dict) and "responses" in operation
        }
    return {
        "openapi": document.get("openapi"),
        "paths": paths,
        "schemas": sorted(document.get("components", {}).get("schemas", {})),
        "servers": document.get("servers"),
    }


# Building the app


def production_app(url: str, **settings: str) -> flask.Flask:
    """The app with production settings on `url`."""
    config = ProductionConfig(
        {"DATABASE_URL": url, "JWT_SECRET_KEY": SECRET, **SETTINGS, **settings}
    )
    # The testing cost of argon2id (tests/helpers.py): a hash takes 1 ms, not 600; no answer
    # depends on it.
    config.ARGON2_TIME_COST, config.ARGON2_MEMORY_KIB, config.ARGON2_PARALLELISM = 1, 1024, 1
    return create_app(config)


def migrated_app(url: str) -> flask.Flask:
    """The app on `url`, emptied and migrated to the latest schema first (by the benchmarks'
    own helper, on an app of its own)."""
    migrated = fresh_app(url)
    with migrated.app_context():
        db.engine.dispose()
    return production_app(url)


def unreached_rules(app: flask.Flask, reached: set[tuple[str, str]]) -> list[str]:
    """Every rule of the URL map, with each method a view answers (not HEAD or OPTIONS, which
    Flask answers), that no request of the script reached."""
    missing = []
    for rule in app.url_map.iter_rules():  # both apps have the same
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"}) or sorted(rule.methods)
        missing += [f"{m} {rule.rule}" for m in methods if (rule.rule, m) not in reached]
    return missing


def record(url: str) -> tuple[dict[str, Any], float]:
    from record_scenario import run_scenario

    app = migrated_app(url)
    recorder = Recorder(app, production_app(url, CORS_ORIGINS=WEB_ORIGIN))
    started = time.perf_counter()
    run_scenario(recorder)
    seconds = time.perf_counter() - started
    missing = unreached_rules(app, recorder.rules_hit)
    if missing:
        raise SystemExit("the script reaches no request of: " + ", ".join(missing))
    normaliser = Normaliser(recorder.names, datetime.now(UTC).date().isoformat())
    entries = [normaliser.entry(n, exchange) for n, exchange in enumerate(recorder.entries, 1)]
    for served in (app, recorder.web_app):
        with served.app_context():
            db.engine.dispose()
    routes = sorted({rule for rule, _ in recorder.rules_hit})
    engine = url.split(":", 1)[0].split("+")[0]
    return {
        "engine": engine,
        "requests": len(entries),
        "routes": routes,
        "entries": entries,
    }, seconds


def dumps(value: Any) -> str:
    return simplejson.dumps(value, sort_keys=True, indent=1, use_decimal=True, ensure_ascii=False)


# Comparing


def compare(before_path: str, after_path: str, intended: list[str]) -> int:
    """Print every entry whose answer differs (by label); 1 if any unintended one does."""
    before, after = (load(path) for path in (before_path, after_path))
    failed = shown = 0
    labels = list(before) + [label for label in after if label not in before]
    for label in labels:
        old, new = before.get(label), after.get(label)
        old_text, new_text = (dumps(strip_number(e)) if e else "" for e in (old, new))
        if old_text == new_text:
            continue
        shown += 1
        expected = any(part in label for part in intended)
        failed += not expected
        request = (old or new)["request"]
        print(f"=== {label}: {request}{' (intended)' if expected else ''}")
        if old is None or new is None:
            print(f"    only in {'after' if old is None else 'before'}")
            continue
        diff = difflib.unified_diff(
            old_text.splitlines(), new_text.splitlines(), before_path, after_path, lineterm="", n=2
        )
        print("\n".join(diff))
    print(f"{len(before)} entries before, {len(after)} after: {shown} differ, {failed} unintended")
    return 1 if failed else 0


def load(path: str) -> dict[str, dict[str, Any]]:
    document = simplejson.loads(Path(path).read_text(), use_decimal=True)
    return {entry["label"]: entry for entry in document["entries"]}


def strip_number(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry without its position: one request more earlier in the script moves them all."""
    return {key: value for key, value in entry.items() if key != "n"}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--database-url", help="PostgreSQL (emptied!); default: a temporary SQLite file"
    )
    parser.add_argument("--out", help="where to write the recording")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--intended", action="append", default=[], metavar="LABEL")
    args = parser.parse_args()
    if args.compare:
        return compare(*args.compare, args.intended)
    if not args.out:
        parser.error("--out FILE is required (or --compare BEFORE AFTER)")
    with tempfile.TemporaryDirectory() as scratch:
        recording, seconds = record(args.database_url or f"sqlite:///{scratch}/record.db")
    Path(args.out).write_text(dumps(recording) + "\n")
    print(
        f"{recording['requests']} requests on {recording['engine']} in {seconds:.1f} s: {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
