"""The ceiling app: the least a Flask app can do for the benchmark's requests.

GET answers a precomputed JSON array of 50 transaction-shaped objects (`GET /accounts`: of 20
account-shaped ones); POST parses the JSON body and answers 201 (`POST /transfers`: with a
transfer-shaped object). A batch (`POST /sync`) or an import (`POST /transactions/import`, CSV) is
parsed whole and answered with a precomputed result of the same shape. Run with the same
gunicorn settings as Cashman, it is the yardstick the benchmark divides by.
"""

import csv
import io
import json

from flask import Flask, Response, request

ROW = {
    "id": 1,
    "type": "INCOME",
    "description": "Salary",
    "amount": 5000.0,
    "category": "work",
    "date": "2026-11-23",
    "created_at": "2026-11-23T21:53:26.123456+00:00",
    "updated_at": "2026-11-23T21:53:26.123456+00:00",
}
PAGE = json.dumps([{**ROW, "id": n} for n in range(50, 0, -1)])
SYNC_PAGE = json.dumps(
    {
        "server_knowledge": 500,
        "has_more": True,
        "changed": [{**ROW, "id": n, "version": n} for n in range(1, 501)],
        "deleted": [],
    }
)
MONTH = json.dumps(
    {
        "month": "2020-06",
        "categories": [
            {"category": name, "budgeted": 900.0, "spent": -450.0, "available": 450.0}
            for name in ("food", "rent", "travel", "work")
        ],
        "total": {"budgeted": 2700.0, "spent": -1800.0, "available": 900.0},
    }
)
TOKENS = json.dumps(
    {
        "access_token": "x" * 300,
        "refresh_token": "y" * 300,
        "token_type": "Bearer",
        "expires_in": 900,
    }
)

ACCOUNT = {
    "id": "01938a4e-7c2b-7d1e-9f3a-2b4c6d8e0f12",
    "name": "Main",
    "kind": "checking",
    "currency": "USD",
    "opening_balance": "0.00",
    "balance": "-128526.05",
    "archived": False,
    "default": False,
    "version": 1,
    "created_at": "2026-11-23T21:53:26.123456+00:00",
    "updated_at": "2026-11-23T21:53:26.123456+00:00",
}
ACCOUNTS = json.dumps(
    [{**ACCOUNT, "name": f"Account {n:02d}", "version": n + 1} for n in range(20)]
)
TRANSFER = {
    "id": "01938a4e-7c2b-7d1e-9f3a-2b4c6d8e0f13",
    "description": "Transfer",
    "date": "2026-11-23",
    "version": 2,
    "created_at": "2026-11-23T21:53:26.123456+00:00",
    "updated_at": "2026-11-23T21:53:26.123456+00:00",
}

BATCH_RESULTS = json.dumps(
    {
        "server_knowledge": 500,
        "results": [
            {"id": "01938a4e-7c2b-7d1e-9f3a-2b4c6d8e0f12", "status": "created", "version": n}
            for n in range(1, 501)
        ],
    }
)

app = Flask(__name__)


@app.get("/incomes")
def incomes() -> Response:
    return Response(PAGE, mimetype="application/json")


@app.post("/incomes")
def create() -> Response:
    body = request.get_json()
    return Response(json.dumps({**ROW, **body}), status=201, mimetype="application/json")


@app.post("/transfers")
def transfer() -> Response:
    body = request.get_json()
    answer = {**TRANSFER, **body, "to_amount": body["amount"]}
    return Response(json.dumps(answer), status=201, mimetype="application/json")


@app.get("/accounts")
def accounts() -> Response:
    return Response(ACCOUNTS, mimetype="application/json")


@app.get("/balance")
def balance() -> Response:
    return Response('{"income": 5200.00, "expenses": -150.00, "balance": 5050.00, "count": 4}')


@app.get("/budgets/<month>")
def budget_month(month: str) -> Response:
    return Response(MONTH, mimetype="application/json")


@app.get("/sync")
def sync() -> Response:
    return Response(SYNC_PAGE, mimetype="application/json")


@app.post("/auth/refresh")
def refresh() -> Response:
    return Response(TOKENS, mimetype="application/json")


@app.post("/sync")
def sync_batch() -> Response:
    request.get_json()
    return Response(BATCH_RESULTS, mimetype="application/json")


@app.post("/transactions/import")
def import_rows() -> Response:
    rows = sum(1 for _ in csv.DictReader(io.StringIO(request.get_data(as_text=True))))
    return Response(
        json.dumps({"created": rows, "skipped_duplicates": 0}), mimetype="application/json"
    )
