"""Incomes and expenses: two resources per kind, plus the combined list and its CSV export.

Resources stay thin: validate with a schema, call the caller's store, dump with a schema.
"""

from dataclasses import replace
from typing import Any
from uuid import UUID

from flask import Response, request, url_for
from sqlalchemy import Row
from werkzeug.http import quote_etag

from ..export import csv_response
from ..filters import Filters
from ..models import Kind, etag
from ..openapi.operation import documented
from ..paging import encode_cursor, next_page_link
from ..schemas.bodies import (
    load_body,
    new_transaction_schemas,
    read_json,
    transaction_patch_schemas,
)
from ..schemas.queries import (
    kind_page_query_schema,
    load_query,
    transaction_export_query_schema,
    transaction_page_query_schema,
)
from ..schemas.responses import transaction_rows, transaction_schema, transactions_schema
from ..stores.accounts import AccountStore
from ..stores.transactions import TransactionStore
from . import Resource, caller_store
from .safe_writes import change_latest, create_once, idempotency_key


def list_page(filters: Filters, limit: int, after: tuple | None) -> tuple[Any, int, dict]:
    """One page of rows, with `X-Total-Count` and, while more rows remain, a `Link` to them."""
    store = caller_store(TransactionStore)
    rows = store.page(filters, limit + 1, after)
    headers = {"X-Total-Count": str(store.count(filters))}
    if len(rows) > limit:
        rows = rows[:limit]
        headers["Link"] = next_page_link(encode_cursor(rows[-1]))
    return transaction_rows.many(rows), 200, headers


def etag_header(row: Row) -> dict[str, str]:
    return {"ETag": quote_etag(etag(row))}


class _KindList(Resource):
    kind: Kind
    item_endpoint: str

    @documented(
        returns=transactions_schema,
        query=kind_page_query_schema,
        headers=("X-Total-Count",),
        only={"Link": "Only while more rows remain."},
    )
    def get(self):
        """List a page of the caller's rows of this kind, newest first."""
        query = load_query(kind_page_query_schema)
        filters = replace(query["filters"], kind=self.kind)
        return list_page(filters, query["limit"], query.get("cursor"))

    @documented(
        returns=transaction_schema,
        status=201,
        body=lambda resource: new_transaction_schemas[resource.kind],
        headers=("Location", "ETag"),
        request_headers=("Idempotency-Key",),
        alike={200: "OK: a retried create; the caller already has this `id` with this content."},
        errors=(409,),
    )
    def post(self):
        """Record a new row of this kind; an `id` or an `Idempotency-Key` makes retries safe."""
        payload = read_json()
        key = idempotency_key(self.kind, payload)
        fields = new_transaction_schemas[self.kind].load(payload)
        content = caller_store(AccountStore).new_row(fields)
        store = caller_store(TransactionStore)
        answer = create_once(
            store.user_id,
            lambda ledger: ledger.create(self.kind, content),
            lambda: store.created_before(self.kind, content),
            transaction_rows.one,
            key,
        )
        location = url_for(self.item_endpoint, transaction_id=answer.transaction_id)
        headers = {"Location": location, "ETag": quote_etag(answer.etag)}
        return answer.body, 201 if answer.created else 200, headers


class _KindItem(Resource):
    kind: Kind

    @documented(
        returns=transaction_schema,
        headers=("ETag",),
        request_headers=("If-None-Match",),
        also={304: "Not Modified: the row still has the ETag sent in If-None-Match."},
    )
    def get(self, transaction_id: UUID):
        """Return one of the caller's rows of this kind (304 if `If-None-Match` has its ETag)."""
        row = caller_store(TransactionStore).get(transaction_id, self.kind)
        if request.if_none_match.contains_weak(etag(row)):
            return Response(status=304, headers=etag_header(row))
        return transaction_rows.one(row), 200, etag_header(row)

    @documented(
        returns=transaction_schema,
        body=lambda resource: transaction_patch_schemas[resource.kind],
        headers=("ETag",),
        request_headers=("If-Match",),
        errors=(409, 412),
    )
    def patch(self, transaction_id: UUID):
        """Change some fields of one of the caller's rows (412 if `If-Match` is outdated)."""
        fields = load_body(transaction_patch_schemas[self.kind])
        store, accounts = caller_store(TransactionStore), caller_store(AccountStore)

        def write(row: Row) -> Row | None:
            return store.change(row, accounts.changed_row(row, fields))

        row = change_latest(lambda: store.get(transaction_id, self.kind), write, "transaction")
        return transaction_rows.one(row), 200, etag_header(row)

    @documented(status=204, request_headers=("If-Match",), errors=(409, 412))
    def delete(self, transaction_id: UUID):
        """Delete one of the caller's rows (412 if `If-Match` is outdated)."""
        store = caller_store(TransactionStore)
        change_latest(lambda: store.get(transaction_id, self.kind), store.remove, "transaction")
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

    @documented(
        returns=transactions_schema,
        query=transaction_page_query_schema,
        headers=("Vary",),
        only={
            "X-Total-Count": "Only on JSON answers.",
            "Link": "Only on JSON answers, while more rows remain.",
            "Content-Disposition": "Only on CSV answers.",
        },
        csv=True,
    )
    def get(self):
        """List a page of the caller's rows of both kinds, newest first (CSV on request)."""
        if request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv":
            response = export_csv()
            response.vary.add("Accept")
            return response
        query = load_query(transaction_page_query_schema)
        body, status, headers = list_page(query["filters"], query["limit"], query.get("cursor"))
        return body, status, {**headers, "Vary": "Accept"}


class TransactionExport(Resource):
    """Every matching row of the caller's, as a CSV file."""

    @documented(query=transaction_export_query_schema, headers=("Content-Disposition",), csv=True)
    def get(self):
        """Stream the caller's rows as CSV, newest first, with the list's filters and no limit."""
        return export_csv()


def export_csv() -> Response:
    filters = load_query(transaction_export_query_schema)["filters"]
    return csv_response(caller_store(TransactionStore).batches(filters))
