"""An import's rows, read a row at a time from the spooled body: CSV with the export's columns,
or a JSON array of transaction objects. Memory holds a row, not the file."""

import csv
import io
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import IO, Any

import ijson
from ijson.backends import python as ijson_python
from ijson.common import ObjectBuilder
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from .errors import FieldErrors
from .export import COLUMNS, undefuse
from .i18n import _
from .json_provider import MAX_DEPTH, too_deeply_nested

REQUIRED_COLUMNS = ("type", "description", "amount")
# What an exported row carries that an import does not take: the server's own bookkeeping.
SERVER_FIELDS = ("created_at", "updated_at", "version")
# An empty cell: no id (the server makes one), today, the default account, no transfer.
EMPTY_IS_ABSENT = ("id", "date", "account_id", "transfer_id")
TEXT_COLUMNS = ("description", "category")  # the cells the export guards against formulas
WHITESPACE = b" \t\r\n"
BOM = b"\xef\xbb\xbf"
MAX_HEADER_PROBLEMS = 10
MAX_FIELDS = 12  # of a row: a transaction object as answered has 11
NESTING = {"start_map": 1, "start_array": 1, "end_map": -1, "end_array": -1}


@dataclass(frozen=True)
class UnreadableRow:
    """A CSV row that is not a row of the header's columns: refused whole."""

    errors: dict[str, list[str]]


def read_rows(body: IO[bytes], mimetype: str) -> Generator[Any]:
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
            {"header": problems[:MAX_HEADER_PROBLEMS]},
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
        cell = undefuse(cell) if name in TEXT_COLUMNS else cell.strip()
        if cell == "" and name in EMPTY_IS_ABSENT:
            continue
        row[name] = None if name == "category" and not cell.strip() else cell
    return without_server_fields(row)


def _json_rows(body: IO[bytes]) -> Iterator[Any]:
    """Each item of the top-level array, built from the parser's events one item at a time.

    ijson's pure-Python parser: its C one crashes the process on an integer of over 4,300
    digits. Items are built here, not by `ijson.items`, whose prefixes grow with the square of
    the nesting; nesting deeper than MAX_DEPTH (the top-level array is the first level), as in
    every request body, is refused.
    """
    _start_of_array(body)
    events = ijson_python.basic_parse(body, use_float=False)
    try:
        next(events)  # the array's start
        depth, item, keys, repeated = 0, ObjectBuilder(), set(), False
        for event, value in events:
            depth += NESTING.get(event, 0)
            if depth < 0:  # the array's end
                break
            if depth >= MAX_DEPTH:  # the array holding this item is one level more
                raise BadRequest(too_deeply_nested())
            if event == "map_key" and depth == 1:
                repeated = repeated or value in keys
                keys.add(value)
            item.event(event, value)
            if depth == 0:
                yield _json_row(item.value, repeated)
                item, keys, repeated = ObjectBuilder(), set(), False
        for _rest in events:  # anything after the array is an error
            pass
    except ijson.JSONError:
        raise BadRequest(_("The request body is not valid JSON.")) from None


def _json_row(item: Any, repeated_key: bool) -> Any:
    if not isinstance(item, dict):
        return item
    if repeated_key:  # ambiguous, as everywhere in the API ({"amount": 1, "amount": 1000})
        return UnreadableRow({"_schema": [_("A field is named twice.")]})
    if len(item) > MAX_FIELDS:  # spared from naming each unknown one
        return UnreadableRow(
            {"_schema": [_("A transaction has at most {n} fields.").format(n=MAX_FIELDS)]}
        )
    return without_server_fields(item)


def _start_of_array(body: IO[bytes]) -> None:
    """Refuse a body that is not an array; leave it at its start, past a byte order mark."""
    start = 3 if body.read(3) == BOM else 0
    body.seek(start)
    while (chunk := body.read(4096)) and not chunk.lstrip(WHITESPACE):
        pass
    if chunk.lstrip(WHITESPACE)[:1] != b"[":
        raise BadRequest(_("An import in JSON is an array of transaction objects."))
    body.seek(start)
