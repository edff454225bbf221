"""Command-line tools: `flask --app wsgi demo`, `seed` and `openapi`, and Flask-Migrate's
`flask db` commands."""

import random
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .currencies import minor_digits
from .database import register_migrations
from .json_provider import indented
from .models import AccountKind, Kind
from .passwords import hash_password
from .stores.accounts import AccountStore
from .stores.imports import seed_accounts as open_seed_accounts
from .stores.imports import seed_rows
from .stores.users import add_user, find_user

DEMO_ROWS = [
    (Kind.INCOME, "Salary", Decimal("5000")),
    (Kind.INCOME, "Dividends", Decimal("200")),
    (Kind.EXPENSE, "pizza", Decimal("-50")),
    (Kind.EXPENSE, "Rock Concert", Decimal("-100")),
]


@click.command("demo")
@with_appcontext
@click.option("--password", help="Password for the demo user (default: a random one).")
def demo_command(password: str | None) -> None:
    """Create the user 'demo' with the tutorial's sample incomes and expenses."""
    password = password or secrets.token_urlsafe(12)
    if find_user("demo") or not (user := add_user("demo", hash_password(password))):
        raise click.ClickException("the user 'demo' already exists")
    today = datetime.now(UTC).date()
    seed_rows(
        user.id,
        (
            (kind, {"description": description, "amount": amount, "category": None, "date": today})
            for kind, description, amount in DEMO_ROWS
        ),
    )
    click.echo(f"Created user 'demo' (password: {password}) with {len(DEMO_ROWS)} transactions.")
    click.echo("Log in with:")
    click.echo(
        "  curl -s -X POST http://127.0.0.1:5000/auth/login -H 'Content-Type: application/json' "
        f"""-d '{{"username": "demo", "password": "{password}"}}'"""
    )


# What a seeded user spends on: (weight, description, category, lowest, highest amount).
SPENDING = [
    (30, "Coffee", "Eating out", 2, 6),
    (14, "Supermarket", "Groceries", 12, 160),
    (10, "Metro ticket", "Transport", 2, 4),
    (9, "Restaurant", "Eating out", 15, 90),
    (7, "Online order", "Shopping", 8, 250),
    (5, "Pharmacy", "Health", 4, 60),
    (4, "Cinema", "Leisure", 9, 30),
    (3, "Electricity bill", "Home", 40, 140),
    (3, "Cash withdrawal", None, 20, 200),
    (2, "Rent", "Home", 900, 1400),
]
EARNING = [(6, "Salary", "Work", 2400, 4800), (4, "Refund", None, 3, 120)]
SEED_DAYS = 730  # rows fall in the last two years
SEED_INCOME_SHARE = 0.05


# Where a seeded user's money is: (name, kind, in the default's currency or the other one);
# where expenses are paid from, by weight; and the transfers between them.
SEED_ACCOUNTS = [
    ("Savings", AccountKind.savings, False),
    ("Credit card", AccountKind.credit_card, False),
    ("Travel cash", AccountKind.cash, True),
]
PAID_FROM = [(6, "Main"), (3, "Credit card"), (1, "Travel cash")]
SEED_TRANSFERS = [  # (weight, description, to, lowest, highest amount)
    (3, "To savings", "Savings", 50, 500),
    (2, "Card payment", "Credit card", 100, 800),
    (1, "Travel money", "Travel cash", 100, 400),
]
SEED_TRANSFER_SHARE = 0.02


def seed_accounts(user_id: int) -> dict[str, Any]:
    """The seeded user's accounts, opened where missing, by name: the default and the others,
    one of them in a second currency (EUR, or USD for a user who keeps euros)."""
    main = AccountStore(user_id).default()
    other = "USD" if main.currency == "EUR" else "EUR"
    wanted = [
        {"name": name, "kind": kind, "currency": other if foreign else main.currency}
        for name, kind, foreign in SEED_ACCOUNTS
    ]
    return {"Main": main, **open_seed_accounts(user_id, wanted)}


def sample_rows(
    count: int, rng: random.Random, today: date, accounts: dict[str, Any]
) -> Iterator[tuple[Kind, dict[str, Any]]]:
    """`count` realistic rows and transfers: mostly small expenses over a few accounts, some
    bills, a few incomes, and money moved from the main account now and then."""
    for _ in range(count):
        day = today - timedelta(days=rng.randrange(SEED_DAYS))
        if rng.random() < SEED_TRANSFER_SHARE:
            yield Kind.TRANSFER, _sample_transfer(rng, day, accounts)
            continue
        kind = Kind.INCOME if rng.random() < SEED_INCOME_SHARE else Kind.EXPENSE
        choices = EARNING if kind is Kind.INCOME else SPENDING
        _, description, category, low, high = rng.choices(choices, [c[0] for c in choices])[0]
        paid_from = "Main" if kind is Kind.INCOME else _pick(rng, PAID_FROM)
        account = accounts[paid_from]
        amount = _amount(rng, low, high, account.currency)
        fields = {"description": description, "category": category, "date": day}
        fields |= {"amount": amount if kind is Kind.INCOME else -amount}
        yield kind, fields | {"account_id": account.public_id, "currency": account.currency}


def _sample_transfer(rng: random.Random, day: date, accounts: dict[str, Any]) -> dict[str, Any]:
    _, description, to, low, high = rng.choices(SEED_TRANSFERS, [t[0] for t in SEED_TRANSFERS])[0]
    source, destination = accounts["Main"], accounts[to]
    amount = _amount(rng, low, high, source.currency)
    rate = Decimal(1) if source.currency == destination.currency else Decimal("0.92")
    return {
        "from_account_id": source.public_id,
        "to_account_id": destination.public_id,
        "currency": source.currency,
        "to_currency": destination.currency,
        "amount": amount,
        "to_amount": _in_currency(amount * rate, destination.currency),
        "description": description,
        "date": day,
    }


def _pick(rng: random.Random, weighted: list[tuple[int, str]]) -> str:
    return rng.choices([name for _, name in weighted], [weight for weight, _ in weighted])[0]


def _amount(rng: random.Random, low: int, high: int, currency: str) -> Decimal:
    """A made-up positive amount between `low` and `high`, in the currency's digits."""
    return _in_currency(Decimal(rng.randint(low * 100, high * 100)).scaleb(-2), currency)


def _in_currency(amount: Decimal, currency: str) -> Decimal:
    """A made-up amount with the currency's digits (rounded: it is sample data, not money)."""
    return max(amount.quantize(Decimal(1).scaleb(-minor_digits(currency))), Decimal(1))


@click.command("seed")
@with_appcontext
@click.argument("username")
@click.option("--rows", type=click.IntRange(1, 10_000_000), default=1000, show_default=True)
@click.option("--password", help="For a new user (default: a random one).")
@click.option("--random-seed", type=int, default=0, show_default=True)
def seed_command(username: str, rows: int, password: str | None, random_seed: int) -> None:
    """Give USERNAME (created when new) ROWS realistic transactions over the last two years,
    spread over four accounts in two currencies, a few of them transfers (two rows each)."""
    user = find_user(username)
    if user is None:
        password = password or secrets.token_urlsafe(12)
        if not (user := add_user(username, hash_password(password))):
            raise click.ClickException(f"the user {username!r} could not be created")
        click.echo(f"Created user {username!r} (password: {password}).")
    started = time.perf_counter()
    today = datetime.now(UTC).date()
    accounts = seed_accounts(user.id)
    created = seed_rows(user.id, sample_rows(rows, random.Random(random_seed), today, accounts))
    seconds = time.perf_counter() - started
    click.echo(
        f"Added {created} transactions to {username!r} in {seconds:.2f} s "
        f"({created / seconds:,.0f} rows/s)."
    )


@click.command("openapi")
@with_appcontext
def openapi_command() -> None:
    """Print the OpenAPI document (make openapi writes it to docs/openapi.json)."""
    click.echo(indented(current_app.extensions["openapi"]))


def register_commands(app: Flask) -> None:
    """Cashman's commands, and Flask-Migrate's `flask db` when the app is built by the `flask`
    command (inside its click context): Flask-Migrate imports Alembic (about 11 MB), which a
    server, building the app outside any command, never loads."""
    if click.get_current_context(silent=True) is not None:
        register_migrations(app)
    app.cli.add_command(demo_command)
    app.cli.add_command(seed_command)
    app.cli.add_command(openapi_command)
