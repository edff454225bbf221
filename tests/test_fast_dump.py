"""The list's fast path writes exactly what the marshmallow schema would, byte for byte."""

from flask import current_app
from helpers import add_row, internal_user_id

from cashman.database import db
from cashman.filters import Filters
from cashman.models import Transaction
from cashman.schemas.responses import transaction_rows, transactions_schema
from cashman.stores.transactions import TransactionStore

ROWS = [
    ("incomes", {"description": "Salary", "amount": "5000", "category": "work"}),
    ("expenses", {"description": "pizza", "amount": "0.01", "date": "1999-12-31"}),
    ("incomes", {"description": 'ünïcødé €, "quoted"', "amount": "999999999999.99"}),
    ("expenses", {"description": "x" * 255, "amount": "-12.5", "category": "c" * 64}),
]


def test_fast_rows_are_the_schemas_dump_of_the_orm_objects(app, client, alice):
    for collection, fields in ROWS:
        add_row(client, alice, collection, **fields)
    with app.test_request_context():
        rows = TransactionStore(internal_user_id(app, alice)).page(Filters(), 50)
        by_id = {row.public_id: row for row in db.session.scalars(db.select(Transaction))}
        objects = [by_id[row.public_id] for row in rows]
        fast = current_app.json.make_response(transaction_rows.many(rows), 200).data
        assert fast == current_app.json.make_response(transactions_schema.dump(objects), 200).data
        assert fast == current_app.json.make_response(transactions_schema.dump(rows), 200).data
    listed = client.get("/transactions", headers=alice.headers)
    assert listed.data == fast
    assert len(listed.get_json()) == len(ROWS)
