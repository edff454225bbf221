"""CSV export: streamed a chunk at a time, safe to open in a spreadsheet."""

import csv
import io
from collections.abc import Iterable, Iterator
from itertools import chain, islice

from flask import Response, stream_with_context
from sqlalchemy import Row

from .schemas import dump_transaction_rows

COLUMNS = ("id", "type", "date", "description", "amount", "category", "created_at")
# A cell starting with one of these is run as a formula by spreadsheets (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_CHARS = 16 * 1024


def defuse(text: str | None) -> str:
    """Make a text cell inert in spreadsheets by prefixing a quote where it could be a formula."""
    if text is None:
        return ""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def cells(row: Row) -> list:
    """One CSV record, in the formats of the JSON list (the same plan compiled from the schema)."""
    (fields,) = dump_transaction_rows([row])
    fields["description"] = defuse(fields["description"])
    fields["category"] = defuse(fields["category"])
    return [fields[column] for column in COLUMNS]


def csv_response(rows: Iterable[Row]) -> Response:
    """A streamed `text/csv` attachment; the first rows are read before the status is sent.

    Reading first means a database error still becomes a problem response, not a cut file.
    """
    rows = iter(rows)
    first = list(islice(rows, 1))

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        for row in chain(first, rows):
            writer.writerow(cells(row))
            if buffer.tell() >= CHUNK_CHARS:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="cashman-transactions.csv"'},
    )
