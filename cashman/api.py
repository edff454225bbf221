"""The flask-restful `Api` and the table of every route."""

from typing import Any

from flask import Flask, Response, current_app
from flask_restful import Api, Resource
from flask_swagger_ui import get_swaggerui_blueprint

from .auth import Login, Logout, Me, Refresh, Register
from .health import Health, Ready
from .insights import Balance, Summary
from .keys import JWKS
from .models import MAX_ID
from .openapi import build_spec
from .transactions import (
    Expense,
    ExpenseList,
    Income,
    IncomeList,
    TransactionExport,
    TransactionList,
)

ITEM = f"<int(min=1, max={MAX_ID}):transaction_id>"

ROUTES = [
    (Register, "/auth/register"),
    (Login, "/auth/login"),
    (Refresh, "/auth/refresh"),
    (Logout, "/auth/logout"),
    (Me, "/auth/me"),
    (JWKS, "/.well-known/jwks.json"),
    (IncomeList, "/incomes"),
    (Income, f"/incomes/{ITEM}"),
    (ExpenseList, "/expenses"),
    (Expense, f"/expenses/{ITEM}"),
    (TransactionList, "/transactions"),
    (TransactionExport, "/transactions.csv"),
    (Balance, "/balance"),
    (Summary, "/summary"),
    (Health, "/health"),
    (Ready, "/health/ready"),
]


class OpenAPIDocument(Resource):
    def get(self):
        """The OpenAPI 3.1 document of this API (built once, at start-up)."""
        return current_app.extensions["openapi"], 200


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
    """Mount every resource, each path with and without a trailing slash (no redirects), the
    OpenAPI document at /openapi.json and Swagger UI (files from flask-swagger-ui) at /docs/."""
    api = CashmanApi(app)
    api.representations = {"application/json": output_json}
    for resource, path in ROUTES:
        api.add_resource(resource, path, f"{path}/")
    app.extensions["openapi"] = build_spec(ROUTES)
    api.add_resource(OpenAPIDocument, "/openapi.json")
    app.register_blueprint(
        get_swaggerui_blueprint(
            "/docs",
            "/openapi.json",
            config={"app_name": "Cashman API", "persistAuthorization": True},
            blueprint_name="docs",
        )
    )
