"""Cashman: record incomes and expenses and see where the money goes."""

import os

from flask import Flask

from config import Config, ConfigError, development_secret, load_config

from .api import register_api
from .cli import register_commands
from .currencies import is_active
from .database import init_database
from .edge import register_edge
from .errors import register_error_handlers
from .i18n import init_i18n
from .json_provider import ExactJSONProvider
from .limits import init_limits
from .paging import init_cursors
from .tokens import init_tokens


def create_app(config: Config | None = None) -> Flask:
    """Build the app: settings, extensions, the API, error handlers and commands."""
    app = Flask(__name__, static_folder=None)
    app.json = ExactJSONProvider(app)
    app.config.from_object(config or load_config())
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["JWT_SECRET_KEY"]:
        app.config["JWT_SECRET_KEY"] = development_secret(app.instance_path)
    if not is_active(app.config["DEFAULT_CURRENCY"]):
        raise ConfigError("DEFAULT_CURRENCY must be an active ISO 4217 code in upper case")

    register_edge(app)  # first, so its after-request hook runs last and sees every header
    init_database(app)
    init_tokens(app)
    init_limits(app)
    init_cursors(app)
    init_i18n(app)
    register_api(app)
    register_error_handlers(app)
    register_commands(app)
    return app
