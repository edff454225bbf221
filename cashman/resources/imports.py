"""POST /transactions/import: a bank's or our own export's rows, all or nothing, duplicates
skipped, streamed from the spooled body a batch at a time."""

from collections.abc import Iterable
from contextlib import closing
from typing import Any

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from ..edge import spooled_body
from ..errors import FieldErrors
from ..i18n import _
from ..import_files import read_rows
from ..models import Kind
from ..openapi.operation import documented
from ..schemas.imports import (
    MAX_BODY_BYTES,
    MAX_ROW_ERRORS,
    MAX_ROWS,
    import_query_schema,
    import_result_schema,
    import_rows_schema,
    load_row,
)
from ..schemas.queries import load_query
from ..stores.imports import Import
from . import Resource, caller_store

BATCH_ROWS = 1000


class TransactionImport(Resource):
    """Import transactions from CSV (the export's columns, header first) or a JSON array.

    All or nothing, in one database transaction. Duplicates are skipped, not created: a row
    whose `id` the caller already has, or a row without `id` matching a stored row of the same
    type, date, amount and description (the n-th such row of the file matches the n-th stored
    one). Up to 10,000 rows, in a body as large as their export can be; rows are checked as
    POST /incomes and /expenses check them, and any bad row is a 422 naming each (`row N`, up
    to 100) with nothing written.
    """

    body_limit = MAX_BODY_BYTES  # read before the token check, to disk beyond 1 MiB (cashman.edge)

    @documented(
        returns=import_result_schema,
        query=import_query_schema,
        body=import_rows_schema,
        csv_body=True,
        errors=(413,),
    )
    def post(self):
        """Import rows; `dry_run=true` answers the same and writes nothing."""
        query = load_query(import_query_schema)
        with closing(read_rows(spooled_body(), request.mimetype)) as rows:
            result = import_all(caller_store(Import), rows, query)
        return import_result_schema.dump(result), 200


def import_all(batch_import: Import, rows: Iterable[Any], query: dict[str, Any]) -> Import:
    """Check every row and create the valid ones a batch at a time; nothing is kept unless
    every row is valid and it is no dry run."""
    errors: dict[str, Any] = {}
    batch: list = []
    try:
        for number, row in enumerate(rows, start=1):
            if number > MAX_ROWS:
                raise RequestEntityTooLarge(
                    _("An import takes at most {rows} rows.").format(rows=MAX_ROWS)
                )
            loaded = load_row(row)
            if isinstance(loaded, tuple) and loaded[0] is Kind.TRANSFER:
                loaded = batch_import.leg(number, loaded[1], query.get("account_id"))
                if loaded is None:  # the first row of a transfer: it waits for the other
                    continue
            elif isinstance(loaded, tuple):
                loaded = batch_import.priced(*loaded, query.get("account_id"))
            if isinstance(loaded, dict):
                errors[f"row {number}"] = loaded
                if len(errors) == MAX_ROW_ERRORS:
                    break
            elif not errors:
                batch.append(loaded)
                if len(batch) == BATCH_ROWS:
                    batch_import.add(batch)
                    batch.clear()
        for number, alone in batch_import.unpaired().items():
            if len(errors) < MAX_ROW_ERRORS:
                errors[f"row {number}"] = alone
        if errors:
            errors = dict(sorted(errors.items(), key=lambda item: int(item[0].split()[1])))
            raise FieldErrors(errors, 422, _("The import has invalid rows; nothing was imported."))
        batch_import.add(batch)
    except BaseException:
        batch_import.finish(keep=False)
        raise
    batch_import.finish(keep=not query["dry_run"])
    return batch_import
