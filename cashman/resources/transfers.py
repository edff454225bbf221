"""Transfers: money moved between two of the caller's accounts, never income or spending."""

from uuid import UUID

from flask import Response, request, url_for
from sqlalchemy import Row
from werkzeug.http import quote_etag

from ..models import Kind, etag
from ..openapi.operation import documented
from ..paging import encode_cursor, next_page_link
from ..schemas.bodies import load_body, read_json
from ..schemas.queries import load_query, transfer_page_query_schema
from ..schemas.transfers import (
    new_transfer_schema,
    transfer_patch_schema,
    transfer_schema,
    transfers_schema,
)
from ..stores.transfers import TransferStore
from . import Resource, caller_store
from .safe_writes import change_latest, create_once, idempotency_key


def etag_header(transfer: Row) -> dict[str, str]:
    return {"ETag": quote_etag(etag(transfer))}


class TransferList(Resource):
    """The caller's transfers."""

    @documented(
        returns=transfers_schema,
        query=transfer_page_query_schema,
        headers=("X-Total-Count",),
        only={"Link": "Only while more transfers remain."},
        tag="transfers",
    )
    def get(self):
        """List a page of the caller's transfers, newest first."""
        query = load_query(transfer_page_query_schema)
        store = caller_store(TransferStore)
        transfers = store.page(query["limit"] + 1, query.get("cursor"))
        headers = {"X-Total-Count": str(store.count())}
        if len(transfers) > query["limit"]:
            transfers = transfers[: query["limit"]]
            headers["Link"] = next_page_link(encode_cursor(transfers[-1]))
        return transfers_schema.dump(transfers), 200, headers

    @documented(
        returns=transfer_schema,
        status=201,
        body=new_transfer_schema,
        headers=("Location", "ETag"),
        request_headers=("Idempotency-Key",),
        alike={200: "OK: a retried create; the caller already has this `id` with this content."},
        errors=(409,),
        tag="transfers",
    )
    def post(self):
        """Move money between two of the caller's accounts: two legs, written together."""
        payload = read_json()
        key = idempotency_key(Kind.TRANSFER, payload)
        fields = new_transfer_schema.load(payload)
        store = caller_store(TransferStore)
        content = store.resolved(fields) | {"id": fields.get("id")}
        answer = create_once(
            store.user_id,
            lambda ledger: store.insert(ledger, content),
            lambda: store.created_before(content),
            transfer_schema.dump,
            key,
        )
        location = url_for("transfer", transfer_id=answer.transaction_id)
        headers = {"Location": location, "ETag": quote_etag(answer.etag)}
        return answer.body, 201 if answer.created else 200, headers


class Transfer(Resource):
    """One of the caller's transfers."""

    @documented(
        returns=transfer_schema,
        headers=("ETag",),
        request_headers=("If-None-Match",),
        also={304: "Not Modified: the transfer still has the ETag sent in If-None-Match."},
        tag="transfers",
    )
    def get(self, transfer_id: UUID):
        """Return one of the caller's transfers."""
        transfer = caller_store(TransferStore).get(transfer_id)
        if request.if_none_match.contains_weak(etag(transfer)):
            return Response(status=304, headers=etag_header(transfer))
        return transfer_schema.dump(transfer), 200, etag_header(transfer)

    @documented(
        returns=transfer_schema,
        body=transfer_patch_schema,
        headers=("ETag",),
        request_headers=("If-Match",),
        errors=(409, 412),
        tag="transfers",
    )
    def patch(self, transfer_id: UUID):
        """Change some fields of a transfer: both legs change, each under a new version."""
        fields = load_body(transfer_patch_schema)
        store = caller_store(TransferStore)

        def write(transfer: Row) -> Row | None:
            return store.change(transfer, store.resolved(fields, transfer))

        transfer = change_latest(lambda: store.get(transfer_id), write, "transfer")
        return transfer_schema.dump(transfer), 200, etag_header(transfer)

    @documented(status=204, request_headers=("If-Match",), errors=(409, 412), tag="transfers")
    def delete(self, transfer_id: UUID):
        """Delete a transfer: both legs, each leaving a tombstone for /sync."""
        store = caller_store(TransferStore)
        change_latest(lambda: store.get(transfer_id), store.remove, "transfer")
        return Response(status=204)
