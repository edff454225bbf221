"""Command-line tools: `flask --app wsgi demo` and `flask --app wsgi openapi`."""

import json
import secrets
from datetime import UTC, datetime
from decimal import Decimal

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .models import Kind
from .passwords import hash_password
from .schemas.responses import transaction_rows
from .stores.transactions import TransactionStore
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
    store = TransactionStore(user.id)
    today = datetime.now(UTC).date()
    for kind, description, amount in DEMO_ROWS:
        row = {"description": description, "amount": amount, "category": None, "date": today}
        store.add(kind, row, render=transaction_rows.one)
    click.echo(f"Created user 'demo' (password: {password}) with {len(DEMO_ROWS)} transactions.")
    click.echo("Log in with:")
    click.echo(
        "  curl -s -X POST http://127.0.0.1:5000/auth/login -H 'Content-Type: application/json' "
        f"""-d '{{"username": "demo", "password": "{password}"}}'"""
    )


@click.command("openapi")
@with_appcontext
def openapi_command() -> None:
    """Print the OpenAPI document (make openapi writes it to docs/openapi.json)."""
    click.echo(json.dumps(current_app.extensions["openapi"], indent=2))


def register_commands(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(openapi_command)
