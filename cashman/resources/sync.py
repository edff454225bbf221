"""Sync for offline clients: what changed in the caller's transactions since a version."""

from ..openapi.operation import documented
from ..schemas.queries import load_query, sync_query_schema
from ..schemas.responses import changes_schema, deleted_rows, transaction_rows
from ..stores.sync import changes_since
from ..tokens import current_user_id
from . import Resource


class Sync(Resource):
    """The caller's changes after `since`, a page at a time, oldest first."""

    @documented(returns=changes_schema, query=sync_query_schema, errors=(410,), tag="sync")
    def get(self):
        """Return the rows changed and deleted after version `since` (410: sync again from 0)."""
        query = load_query(sync_query_schema)
        changes = changes_since(current_user_id(), query["since"], query["limit"])
        return {
            "server_knowledge": changes.server_knowledge,
            "has_more": changes.has_more,
            "changed": transaction_rows.many(changes.changed),
            "deleted": deleted_rows.many(changes.deleted),
        }, 200
