"""An import's rows, read a row at a time from the spooled body: CSV with the export's columns,
or a JSON array of transaction objects. Memory holds a row, not the file."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import ijson
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from .errors import FieldErrors
from .export import COLUMNS, undefuse
from .i18n import _

REQUIRED_COLUMNS = ("type", "description", "amount")
# What an exported row carries that an import does not take: the server's own bookkeeping.
SERVER_FIELDS = ("created_at", "updated_at", "version")
EMPTY_IS_ABSENT = ("id", "date")  # an empty cell: no id (the server makes one), today
TEXT_COLUMNS = ("description", "category")  # the cells the export guards against formulas
WHITESPACE = b" \t\r\n"


@dataclass(frozen=True)
class UnreadableRow:
    """A CSV row that is not a row of the header's columns: refused whole."""

    errors: dict[str, list[str]]


def read_rows(body: IO[bytes], mimetype: str) -> Iterator[Any]:
    """Each row of the body: a dict of its fields as given (without the server's own), an
    `UnreadableRow`, or a JSON array's item that is no object, as it is."""
    if mimetype == "text/csv":
        return _csv_rows(body)
    if mimetype == "application/json":
        return _json_rows(body)
    raise UnsupportedMediaType(
        _("An import is CSV (Content-Type: text/csv) or JSON (Content-Type: application/json).")
    )


def without_server_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name not in SERVER_FIELDS}


def _csv_rows(body: IO[bytes]) -> Iterator[Any]:
    text = io.TextIOWrapper(body, encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(text)
        header = next(reader, None)
        if header is None:  # an empty file: nothing to import
            return
        columns = _checked_header(header)
        for cells in reader:
            if cells:  # a blank line is no row
                yield _csv_row(columns, cells)
    except UnicodeDecodeError:
        raise BadRequest(_("The CSV is not UTF-8 text.")) from None
    except csv.Error as error:
        raise BadRequest(_("The CSV could not be read: {error}.").format(error=error)) from None
    finally:
        text.detach()  # the body stays open: it belongs to the request


def _checked_header(header: list[str]) -> list[str]:
    columns = [name.strip() for name in header]
    problems = [
        _("Unknown column: {name}.").format(name=name) for name in columns if name not in COLUMNS
    ]
    problems += [
        _("Missing column: {name}.").format(name=name)
        for name in REQUIRED_COLUMNS
        if name not in columns
    ]
    if len(set(columns)) != len(columns):
        problems.append(_("A column is named twice."))
    if problems:
        raise FieldErrors(
            {"header": problems},
            422,
            _("The CSV header must name the export's columns: {columns}.").format(
                columns=",".join(COLUMNS)
            ),
        )
    return columns


def _csv_row(columns: list[str], cells: list[str]) -> dict[str, Any] | UnreadableRow:
    if len(cells) != len(columns):
        message = _("The row has {found} cells; the header names {expected} columns.")
        return UnreadableRow({"_schema": [message.format(found=len(cells), expected=len(columns))]})
    row: dict[str, Any] = {}
    for name, cell in zip(columns, cells, strict=True):
        if name in TEXT_COLUMNS:
            cell = undefuse(cell)
        if cell == "" and name in EMPTY_IS_ABSENT:
            continue
        row[name] = None if cell == "" and name == "category" else cell
    return without_server_fields(row)


def _json_rows(body: IO[bytes]) -> Iterator[Any]:
    if _first_byte(body) != b"[":
        raise BadRequest(_("An import in JSON is an array of transaction objects."))
    try:
        for item in ijson.items(body, "item", use_float=False):
            yield without_server_fields(item) if isinstance(item, dict) else item
    except ijson.JSONError:
        raise BadRequest(_("The request body is not valid JSON.")) from None


def _first_byte(body: IO[bytes]) -> bytes:
    """The body's first byte that is not white space (or a UTF-8 byte order mark); the body is
    left at its start."""
    start = body.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip(WHITESPACE)
    body.seek(0)
    return start[:1]
