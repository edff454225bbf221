"""Sync for offline clients: what changed in the caller's transactions since a version, and
a batch of the client's own changes made offline."""

import hashlib
from typing import Any

from flask import current_app

from ..openapi.operation import documented
from ..schemas.accounts import accounts_schema, deleted_accounts_schema
from ..schemas.bodies import read_json
from ..schemas.queries import load_query, sync_query_schema
from ..schemas.responses import deleted_rows, transaction_rows
from ..schemas.sync import load_operations, sync_batch_schema
from ..schemas.sync_answers import changes_schema, sync_answer, sync_results_schema
from ..stores.kept_answers import KeptAnswers
from ..stores.sync import ChangeFeed
from ..stores.sync_batch import ClientChange, SyncBatch
from . import Resource, caller_store


class Sync(Resource):
    """Sync for offline clients: the caller's changes since a version, and the client's own."""

    @documented(returns=changes_schema, query=sync_query_schema, errors=(410,), tag="sync")
    def get(self):
        """Return the rows changed and deleted after version `since` (410: sync again from 0).

        A page at a time, oldest change first: while `has_more`, ask again with `since` set to
        the page's `server_knowledge`.
        """
        query = load_query(sync_query_schema)
        changes = caller_store(ChangeFeed).since(query["since"], query["limit"])
        return {
            "server_knowledge": changes.server_knowledge,
            "has_more": changes.has_more,
            "changed": transaction_rows.many(changes.changed),
            "deleted": deleted_rows.many(changes.deleted),
            "accounts": accounts_schema.dump(changes.accounts),
            "deleted_accounts": deleted_accounts_schema.dump(changes.deleted_accounts),
        }, 200

    @documented(returns=sync_results_schema, body=sync_batch_schema, tag="sync")
    def post(self):
        """Apply a batch of the caller's offline changes, in order, each on its own.

        Upserts and deletes name rows by the client's ids; one that would overwrite a change
        the client has not seen (its `base_version` is not the row's) is a `conflict` carrying
        the server's row, and changes nothing. A retried batch changes nothing more.
        """
        payload = read_json()
        changes = [ClientChange(**loaded) for loaded in load_operations(payload)]
        batch = caller_store(SyncBatch)
        batch.lock()
        # A batch that names an id more than once (a create and a delete of one id would run
        # again) is answered once: its answer is kept in its commit, and the same batch gets it
        # again within IDEMPOTENCY_KEY_TTL. Other batches are idempotent by their changes alone.
        named_twice = len({change.id for change in changes}) < len(changes)
        fingerprint = _fingerprint(payload) if named_twice else None
        kept = caller_store(KeptAnswers)
        if fingerprint is not None and (answer := kept.to_batch(fingerprint)) is not None:
            batch.ledger.discard()
            return answer, 200
        outcomes = batch.apply(changes)
        answer = sync_answer(batch.knowledge, outcomes)
        if fingerprint is not None:
            kept.keep_batch(fingerprint, answer)
        batch.ledger.commit()
        return answer, 200


def _fingerprint(payload: Any) -> str:
    canonical = current_app.json.dumps(payload, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
