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

from .database import register_migrations
from .json_provider import indented
from .models import Kind
from .passwords import hash_password
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


def sample_rows(
    count: int, rng: random.Random, today: date
) -> Iterator[tuple[Kind, dict[str, Any]]]:
    """`count` realistic rows: mostly small expenses, some bills, a few incomes."""
    for _ in range(count):
        kind = Kind.INCOME if rng.random() < SEED_INCOME_SHARE else Kind.EXPENSE
        choices = EARNING if kind is Kind.INCOME else SPENDING
        _, description, category, low, high = rng.choices(choices, [c[0] for c in choices])[0]
        cents = rng.randint(low * 100, high * 100)
        amount = Decimal(cents if kind is Kind.INCOME else -cents).scaleb(-2)
        day = today - timedelta(days=rng.randrange(SEED_DAYS))
        yield (
            kind,
            {"description": description, "amount": amount, "category": category, "date": day},
        )


@click.command("seed")
@with_appcontext
@click.argument("username")
@click.option("--rows", type=click.IntRange(1, 10_000_000), default=1000, show_default=True)
@click.option("--password", help="For a new user (default: a random one).")
@click.option("--random-seed", type=int, default=0, show_default=True)
def seed_command(username: str, rows: int, password: str | None, random_seed: int) -> None:
    """Give USERNAME (created when new) ROWS realistic transactions over the last two years."""
    user = find_user(username)
    if user is None:
        password = password or secrets.token_urlsafe(12)
        if not (user := add_user(username, hash_password(password))):
            raise click.ClickException(f"the user {username!r} could not be created")
        click.echo(f"Created user {username!r} (password: {password}).")
    started = time.perf_counter()
    today = datetime.now(UTC).date()
    created = seed_rows(user.id, sample_rows(rows, random.Random(random_seed), today))
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
