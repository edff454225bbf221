"""Cashman: record incomes and expenses and see where the money goes."""

import os
import sqlite3

from flask import Flask
from sqlalchemy import event

from config import Config, development_secret, load_config

from .api import register_api
from .cli import register_commands
from .edge import register_edge
from .errors import register_error_handlers
from .extensions import db, jwt, migrate
from .i18n import register_i18n
from .json_provider import ExactJSONProvider
from .keys import init_signing_keys
from .limits import init_limits
from .paging import init_cursors


def create_app(config: Config | None = None) -> Flask:
    """Build the app: settings, extensions, the API, error handlers and commands."""
    app = Flask(__name__, static_folder=None)
    app.json = ExactJSONProvider(app)
    app.config.from_object(config or load_config())
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["JWT_SECRET_KEY"]:
        app.config["JWT_SECRET_KEY"] = development_secret(app.instance_path)
    init_cursors(app)

    register_edge(app)  # first, so its after-request hook runs last and sees every header
    register_extensions(app)
    register_i18n(app)
    register_api(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db)
    jwt.init_app(app)
    init_signing_keys(app)
    init_limits(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            busy_timeout = app.config["SQLITE_BUSY_TIMEOUT_MS"]
            event.listen(db.engine, "connect", lambda conn, _: _tune_sqlite(conn, busy_timeout))


def _tune_sqlite(connection: sqlite3.Connection, busy_timeout_ms: int) -> None:
    """WAL for concurrent readers, enforced foreign keys (cascades), waiting on locks, and the
    Unicode-aware lower() that `q` searches use (cashman.models.unicode_lower)."""
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    connection.create_function("unicode_lower", 1, _lower, deterministic=True)


def _lower(text: str | None) -> str | None:
    return None if text is None else text.lower()
