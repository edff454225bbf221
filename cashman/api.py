"""The flask-restful `Api`, the table of every route, and what follows from each route's
declaration: its token check (cashman.resources), its OpenAPI operation and its cache header."""

from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any

import flask_swagger_ui
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    render_template,
    request,
    send_from_directory,
)
from flask_restful import Api
from jinja2.utils import htmlsafe_json_dumps
from werkzeug.routing import BaseConverter, ValidationError

from .openapi.spec import build_spec
from .resources import required_token
from .resources.accounts import Account, AccountList
from .resources.auth import JWKS, Login, Logout, Me, Refresh, Register
from .resources.budgets import Budget, Categories, Category, MonthBudget
from .resources.health import Health, OpenAPIDocument, Ready
from .resources.imports import TransactionImport
from .resources.insights import Balance, Summary
from .resources.sessions import Password, Session, Sessions
from .resources.sync import Sync
from .resources.transactions import (
    Expense,
    ExpenseList,
    Income,
    IncomeList,
    TransactionExport,
    TransactionList,
)
from .resources.transfers import Transfer, TransferList
from .schemas.fields import Month

ITEM = "<uuid:transaction_id>"  # anything else is no route: the same 404 as an absent row

ROUTES = [
    (Register, "/auth/register"),
    (Login, "/auth/login"),
    (Refresh, "/auth/refresh"),
    (Logout, "/auth/logout"),
    (Sessions, "/auth/sessions"),
    (Session, "/auth/sessions/<uuid:session_id>"),
    (Password, "/auth/password"),
    (Me, "/auth/me"),
    (JWKS, "/.well-known/jwks.json"),
    (IncomeList, "/incomes"),
    (Income, f"/incomes/{ITEM}"),
    (ExpenseList, "/expenses"),
    (Expense, f"/expenses/{ITEM}"),
    (AccountList, "/accounts"),
    (Account, "/accounts/<uuid:account_id>"),
    (TransferList, "/transfers"),
    (Transfer, "/transfers/<uuid:transfer_id>"),
    (TransactionList, "/transactions"),
    (TransactionExport, "/transactions.csv"),
    (TransactionImport, "/transactions/import"),
    (Balance, "/balance"),
    (Summary, "/summary"),
    (Sync, "/sync"),
    (Categories, "/categories"),
    (Category, "/categories/<name:name>"),
    (MonthBudget, "/budgets/<month:month>"),
    (Budget, "/budgets/<month:month>/<name:category>"),
    (Health, "/health"),
    (Ready, "/health/ready"),
]
# Served, but not operations of the API itself.
UNDOCUMENTED_ROUTES = [(OpenAPIDocument, "/openapi.json")]
CACHEABLE_METHODS = {"GET", "HEAD", "OPTIONS"}
SWAGGER_UI_VERSION = version("flask-swagger-ui")
# flask-swagger-ui's installed files (dist/) and its page's template (templates/), served here:
# its blueprint writes every URL from the root, not under the path the API is served at.
SWAGGER_UI = Path(flask_swagger_ui.__file__).parent


class MonthConverter(BaseConverter):
    """A real month written YYYY-MM, as the date of its first day; anything else is no route
    (the same 404 as an absent budget)."""

    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> date:
        if (month := Month.parse(value)) is None:
            raise ValidationError()
        return month

    def to_url(self, value: date) -> str:
        return Month.format(value)


class NameConverter(BaseConverter):
    """A category's name, URL-encoded: any text (a "/", even a leading one, or a line feed)."""

    regex = r"[\s\S]+"
    part_isolating = False


class CashmanApi(Api):
    """flask-restful's `Api`, with errors left to the app's handlers (cashman.errors).

    flask-restful's own error path turns token errors into 500s and answers in its own shape.
    """

    def error_router(self, original_handler, e):
        return original_handler(e)


def output_json(data: Any, code: int, headers: dict | None = None) -> Response:
    """Encode with the app's JSON provider, which keeps amounts exact."""
    return current_app.json.make_response(data, code, headers)


def register_api(app: Flask) -> None:
    """Mount every resource, each path with and without a trailing slash (no redirects) unless it
    ends in a category, the OpenAPI document at /openapi.json and Swagger UI at /docs/."""
    app.url_map.converters |= {"month": MonthConverter, "name": NameConverter}
    api = CashmanApi(app)
    api.representations = {"application/json": output_json}
    for resource, path in ROUTES + UNDOCUMENTED_ROUTES:
        if "<name:" in path:  # a name may end in "/" or hold "//": the path is taken as it is
            api.add_resource(resource, path, merge_slashes=False)
        else:
            api.add_resource(resource, path, f"{path}/")
    app.extensions["openapi"] = build_spec(ROUTES)
    app.register_blueprint(_swagger_ui_blueprint())
    app.after_request(_never_store_unless_public)


def _swagger_ui_blueprint() -> Blueprint:
    """Swagger UI at /docs/, its files below it; /docs answers as /docs/ does, like every other
    path (no redirect)."""
    docs = Blueprint("docs", __name__, url_prefix="/docs", template_folder=SWAGGER_UI / "templates")
    docs.add_url_rule("", "index", _swagger_ui)
    docs.add_url_rule("/", "show", _swagger_ui)
    docs.add_url_rule("/<path:path>", "show", _swagger_ui)
    return docs


def _swagger_ui(path: str | None = None) -> Any:
    """Swagger UI's page, with its files and the OpenAPI document found under the path the API
    is served at; or one of its files."""
    if path and path != "index.html":
        return send_from_directory(SWAGGER_UI / "dist", path)
    root = request.script_root
    config = {
        "dom_id": "#swagger-ui",
        "url": f"{root}/openapi.json",
        "layout": "StandaloneLayout",
        "deepLinking": True,
        "persistAuthorization": True,
    }
    return render_template(
        "index.template.html",
        base_url=f"{root}/docs",
        app_name="Cashman API",
        config_json=htmlsafe_json_dumps(config),  # a gateway's prefix cannot end the script
        version=SWAGGER_UI_VERSION,
    )


_swagger_ui.public = True  # anyone may read the API's documentation


def _never_store_unless_public(response: Response) -> Response:
    """Only a public route's reads may be cached: every other answer may carry an account, a
    token or money (or says that a route needs them)."""
    view = current_app.view_functions.get(request.endpoint)
    if view is None or required_token(view) or request.method not in CACHEABLE_METHODS:
        response.cache_control.no_store = True
    return response
