"""The fast dumps write exactly what the documented marshmallow schemas would, byte for byte."""

from uuid import uuid4

from flask import current_app
from helpers import add_row, internal_user_id

from cashman.database import db
from cashman.filters import Filters
from cashman.models import Transaction
from cashman.schemas.responses import (
    DeletedSchema,
    deleted_rows,
    transaction_rows,
    transactions_schema,
)
from cashman.schemas.sync_answers import sync_answer, sync_results_schema
from cashman.stores.sync import ChangeFeed
from cashman.stores.sync_batch import Outcome
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


def test_the_feeds_rows_and_tombstones_are_the_schemas_dump(app, client, alice):
    for collection, fields in ROWS:
        add_row(client, alice, collection, **fields)
    doomed = add_row(client, alice, "expenses", description="gone", amount=1)
    assert client.delete(f"/expenses/{doomed['id']}", headers=alice.headers).status_code == 204
    with app.test_request_context():
        changes = ChangeFeed(internal_user_id(app, alice)).since(0, 100)
        assert len(changes.changed) == len(ROWS) and len(changes.deleted) == 1
        for dumper, schema, rows in [
            (transaction_rows, transactions_schema, changes.changed),
            (deleted_rows, DeletedSchema(many=True), changes.deleted),
        ]:
            fast = current_app.json.make_response(dumper.many(rows), 200).data
            assert fast == current_app.json.make_response(schema.dump(rows), 200).data


def test_the_sync_answer_is_the_results_schemas_dump(app, client, alice):
    """`sync_answer` writes what `sync_results_schema` (the documented answer) dumps: each
    outcome's `version`, `current` and `errors` only where they apply."""
    salary = add_row(client, alice, "incomes", description="Salary", amount=5000, category="w")
    with app.test_request_context():
        row = TransactionStore(internal_user_id(app, alice)).page(Filters(), 1)[0]
        outcomes = [
            Outcome(uuid4(), "created", version=7),
            Outcome(uuid4(), "unchanged"),
            Outcome(row.public_id, "conflict", current=row),
            Outcome(uuid4(), "conflict"),  # the server's row is deleted
            Outcome(uuid4(), "deleted", version=8),
            Outcome(uuid4(), "invalid", errors={"amount": ["An amount cannot be 0."]}),
        ]
        applying = [
            {"version": 7},
            {},
            {"current": row},
            {"current": None},
            {"version": 8},
            {"errors": {"amount": ["An amount cannot be 0."]}},
        ]
        results = [
            {"id": outcome.id, "status": outcome.status, **more}
            for outcome, more in zip(outcomes, applying, strict=True)
        ]
        expected = sync_results_schema.dump({"server_knowledge": 8, "results": results})
        answer = sync_answer(8, outcomes)
        encode = current_app.json.dumps
        assert encode(answer) == encode(expected)
    assert answer["results"][2]["current"] == salary
