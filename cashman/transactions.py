"""Incomes and expenses: two resources per kind, plus the combined list.

Resources stay thin: validate with a schema, call the caller's store, dump with a schema.
"""

from flask import Response, url_for
from flask_jwt_extended import jwt_required
from flask_restful import Resource

from .models import Kind
from .schemas import (
    load_body,
    load_query,
    new_transaction_schemas,
    transaction_patch_schemas,
    transaction_query_schema,
    transaction_schema,
    transactions_schema,
)
from .store import current_store


class _KindList(Resource):
    method_decorators = [jwt_required()]
    kind: Kind
    item_endpoint: str

    def get(self):
        """List the caller's rows of this kind, newest first."""
        return transactions_schema.dump(current_store().list(self.kind)), 200

    def post(self):
        """Record a new row of this kind."""
        fields = load_body(new_transaction_schemas[self.kind])
        row = current_store().add(self.kind, fields)
        location = url_for(self.item_endpoint, transaction_id=row.id)
        return transaction_schema.dump(row), 201, {"Location": location}


class _KindItem(Resource):
    method_decorators = [jwt_required()]
    kind: Kind

    def get(self, transaction_id: int):
        """Return one of the caller's rows of this kind."""
        return transaction_schema.dump(current_store().get(transaction_id, self.kind)), 200

    def patch(self, transaction_id: int):
        """Change some fields of one of the caller's rows."""
        fields = load_body(transaction_patch_schemas[self.kind])
        row = current_store().update(transaction_id, self.kind, fields)
        return transaction_schema.dump(row), 200

    def delete(self, transaction_id: int):
        """Delete one of the caller's rows."""
        current_store().delete(transaction_id, self.kind)
        return Response(status=204)


class IncomeList(_KindList):
    """The caller's incomes."""

    kind = Kind.INCOME
    item_endpoint = "income"


class ExpenseList(_KindList):
    """The caller's expenses (amounts are stored negative)."""

    kind = Kind.EXPENSE
    item_endpoint = "expense"


class Income(_KindItem):
    """One of the caller's incomes."""

    kind = Kind.INCOME


class Expense(_KindItem):
    """One of the caller's expenses."""

    kind = Kind.EXPENSE


class TransactionList(Resource):
    """The caller's incomes and expenses together."""

    method_decorators = [jwt_required()]

    def get(self):
        """List the caller's rows of both kinds, newest first; `type` narrows to one kind."""
        kind_name = load_query(transaction_query_schema).get("type")
        kind = Kind[kind_name.upper()] if kind_name else None
        return transactions_schema.dump(current_store().list(kind)), 200
