"""Accounts: where the caller's money is, each in one currency, with its balance."""

from uuid import UUID

from flask import Response, request, url_for
from sqlalchemy import Row
from werkzeug.http import quote_etag

from ..models import etag
from ..openapi.operation import documented
from ..schemas.accounts import (
    account_patch_schema,
    account_schema,
    accounts_schema,
    new_account_schema,
)
from ..schemas.bodies import load_body
from ..schemas.queries import account_list_query_schema, load_query
from ..stores.accounts import AccountStore
from ..stores.pricing import account_columns
from . import Resource, caller_store
from .safe_writes import change_latest


def answer(account: Row, status: int = 200, **headers: str) -> tuple:
    return account_schema.dump(account), status, {"ETag": quote_etag(etag(account)), **headers}


class AccountList(Resource):
    """The caller's accounts."""

    @documented(returns=accounts_schema, query=account_list_query_schema, tag="accounts")
    def get(self):
        """List every account of the caller's, by name whatever its case (not paged)."""
        archived = load_query(account_list_query_schema).get("archived")
        return accounts_schema.dump(caller_store(AccountStore).all(archived)), 200

    @documented(
        returns=account_schema,
        status=201,
        body=new_account_schema,
        headers=("Location", "ETag"),
        alike={200: "OK: a retried create; the caller already has this `id` with this content."},
        errors=(409,),
        tag="accounts",
    )
    def post(self):
        """Open an account; an `id` of the client's makes retries safe."""
        fields = load_body(new_account_schema)
        content = account_columns(fields, fields["currency"])
        account, created = caller_store(AccountStore).open(content)
        location = url_for("account", account_id=account.public_id)
        return answer(account, 201 if created else 200, Location=location)


class Account(Resource):
    """One of the caller's accounts."""

    @documented(
        returns=account_schema,
        headers=("ETag",),
        request_headers=("If-None-Match",),
        also={304: "Not Modified: the account still has the ETag sent in If-None-Match."},
        tag="accounts",
    )
    def get(self, account_id: UUID):
        """Return one of the caller's accounts with its balance now."""
        account = caller_store(AccountStore).get(account_id)
        if request.if_none_match.contains_weak(etag(account)):
            return Response(status=304, headers={"ETag": quote_etag(etag(account))})
        return answer(account)

    @documented(
        returns=account_schema,
        body=account_patch_schema,
        headers=("ETag",),
        request_headers=("If-Match",),
        errors=(409, 412),
        tag="accounts",
    )
    def patch(self, account_id: UUID):
        """Change some fields of an account; `currency` only while it holds no transaction."""
        fields = load_body(account_patch_schema)
        store = caller_store(AccountStore)

        def write(account: Row) -> Row | None:
            currency = fields.get("currency", account.currency)
            return store.change(account, account_columns(fields, currency, account))

        return answer(change_latest(lambda: store.get(account_id), write, "account"))

    @documented(status=204, request_headers=("If-Match",), errors=(409, 412), tag="accounts")
    def delete(self, account_id: UUID):
        """Delete an account that holds no transaction and is not the default."""
        store = caller_store(AccountStore)
        change_latest(lambda: store.get(account_id), store.delete, "account")
        return Response(status=204)
