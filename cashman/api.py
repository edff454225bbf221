"""The flask-restful `Api` and the table of every route."""

from typing import Any

from flask import Flask, Response, current_app
from flask_restful import Api

from .auth import Login, Logout, Me, Refresh, Register
from .health import Health, Ready
from .transactions import Expense, ExpenseList, Income, IncomeList, TransactionList

MAX_ID = 2**63 - 1
ITEM = f"<int(min=1, max={MAX_ID}):transaction_id>"

ROUTES = [
    (Register, "/auth/register"),
    (Login, "/auth/login"),
    (Refresh, "/auth/refresh"),
    (Logout, "/auth/logout"),
    (Me, "/auth/me"),
    (IncomeList, "/incomes"),
    (Income, f"/incomes/{ITEM}"),
    (ExpenseList, "/expenses"),
    (Expense, f"/expenses/{ITEM}"),
    (TransactionList, "/transactions"),
    (Health, "/health"),
    (Ready, "/health/ready"),
]


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
    """Mount every resource, each path with and without a trailing slash (no redirects)."""
    api = CashmanApi(app)
    api.representations = {"application/json": output_json}
    for resource, path in ROUTES:
        api.add_resource(resource, path, f"{path}/")
