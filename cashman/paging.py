"""Keyset paging: signed, opaque cursors and the `Link` to the next page.

A cursor is the (date, id) of the last row a page showed; the next page starts just after it
in the (date desc, id desc) order, so pages never skip or repeat a row when rows come and go
between requests, and a deep page costs what the first one does.
"""

from datetime import date
from urllib.parse import urlencode

from flask import current_app, request
from itsdangerous import BadData, URLSafeSerializer

from .models import Transaction


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="cashman.cursor")


def encode_cursor(row: Transaction) -> str:
    """The cursor of the page that follows `row`."""
    return _serializer().dumps([row.date.isoformat(), row.id])


def decode_cursor(cursor: str) -> tuple[date, int]:
    """The (date, id) position a cursor stands for; ValueError if it was not made here."""
    try:
        day, row_id = _serializer().loads(cursor)
        return date.fromisoformat(day), int(row_id)
    except (BadData, TypeError, ValueError):
        raise ValueError("not a cursor this service issued") from None


def next_page_link(cursor: str) -> str:
    """A `Link` header value for the next page: this URL with its filters and the new cursor."""
    args = [(name, value) for name, value in request.args.items(multi=True) if name != "cursor"]
    args.append(("cursor", cursor))
    return f'<{request.base_url}?{urlencode(args)}>; rel="next"'
