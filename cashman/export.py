"""CSV export: streamed a chunk at a time, safe to open in a spreadsheet."""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from itertools import chain

from flask import Response, stream_with_context
from sqlalchemy import Row

from .schemas.responses import transaction_rows

COLUMNS = (
    "id",
    "type",
    "date",
    "description",
    "amount",
    "category",
    "created_at",
    "account_id",
    "transfer_id",
)
# A cell starting with one of =, +, -, @, tab or CR is run as a formula by spreadsheets (OWASP:
# CSV injection). The export prefixes a quote to such a cell, and to one that already starts
# with quotes before such a character, so that the import can take exactly one quote away.
GUARDED = re.compile(r"'*[=+\-@\t\r]")
DEFUSED = re.compile(r"'+[=+\-@\t\r]")
CHUNK_CHARS = 16 * 1024


def defuse(text: str | None) -> str:
    """Make a text cell inert in spreadsheets by prefixing a quote where it could be a formula."""
    if text is None:
        return ""
    return f"'{text}" if GUARDED.match(text) else text


def undefuse(cell: str) -> str:
    """The text `defuse` made this cell from (an import reads the export's cells back)."""
    return cell[1:] if DEFUSED.match(cell) else cell


def records(batch: list[Row]) -> Iterator[list]:
    """CSV records in the formats of the JSON list (the same dump plan, once per batch)."""
    for fields in transaction_rows.many(batch):
        fields["description"] = defuse(fields["description"])
        fields["category"] = defuse(fields["category"])
        yield [fields[column] for column in COLUMNS]


def csv_response(batches: Iterable[list[Row]]) -> Response:
    """A streamed `text/csv` attachment; the first batch is read before the status is sent.

    Reading first means a database error still becomes a problem response, not a cut file.
    """
    batches = iter(batches)
    first = next(batches, [])

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        for batch in chain([first], batches):
            for record in records(batch):
                writer.writerow(record)
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
