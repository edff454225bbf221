"""The ceiling app: the least a Flask app can do for the benchmark's requests.

GET answers a precomputed JSON array of 50 transaction-shaped objects; POST parses the JSON body
and answers 201. Run with the same gunicorn settings as Cashman, it is the yardstick the
benchmark divides by.
"""

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

app = Flask(__name__)


@app.get("/incomes")
def incomes() -> Response:
    return Response(PAGE, mimetype="application/json")


@app.post("/incomes")
def create() -> Response:
    body = request.get_json()
    return Response(json.dumps({**ROW, **body}), status=201, mimetype="application/json")


@app.get("/balance")
def balance() -> Response:
    return Response('{"income": 5200.00, "expenses": -150.00, "balance": 5050.00, "count": 4}')
