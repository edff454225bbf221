"""Keyset paging: signed, opaque cursors and the `Link` to the next page.

A cursor is the (date, created_version) of the last row a page showed; the next page starts
just after it in the (date desc, created_version desc) order, so pages never skip or repeat a
row when rows come and go between requests, and a deep page costs what the first one does.
"""

import hashlib
from datetime import date
from urllib.parse import urlencode

from flask import Flask, current_app, request
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import Row

from .models import MAX_VERSION


def init_cursors(app: Flask) -> None:
    """Build the cursor signer once.

    Its key is the HS256 secret, or one derived from the private key under RS256/ES256;
    itsdangerous adds its own salt, so a cursor can never pass for a token. It is kept apart from
    Flask's `secret_key`, which would make Flask open a (never used) cookie session per request.
    """
    config = app.config
    if config["JWT_ALGORITHM"] == "HS256":
        secret = config["JWT_SECRET_KEY"]
    else:
        secret = hashlib.sha256(
            b"cashman cursors\0" + config["JWT_PRIVATE_KEY"].encode()
        ).hexdigest()
    app.extensions["cursors"] = URLSafeSerializer(secret, salt="cashman.cursor.v2")


def _serializer() -> URLSafeSerializer:
    return current_app.extensions["cursors"]


def encode_cursor(row: Row) -> str:
    """The cursor of the page that follows `row`."""
    return _serializer().dumps([row.date.isoformat(), row.created_version])


def decode_cursor(cursor: str) -> tuple[date, int]:
    """The (date, created_version) position a cursor stands for; ValueError if not made here.

    Both are the user's own: a cursor reveals nothing about other users' rows. (Cursors of the
    integer-id era had another salt and are refused.)
    """
    try:
        day, created_version = _serializer().loads(cursor)
        position = date.fromisoformat(day), int(created_version)
    except (BadData, TypeError, ValueError):
        raise ValueError("not a cursor this service issued") from None
    if not 1 <= position[1] <= MAX_VERSION:  # signed here, yet no row can be there
        raise ValueError("not a position of any row")
    return position


def next_page_link(cursor: str) -> str:
    """A `Link` header value for the next page: this URL with its filters and the new cursor."""
    args = [(name, value) for name, value in request.args.items(multi=True) if name != "cursor"]
    args.append(("cursor", cursor))
    return f'<{request.base_url}?{urlencode(args)}>; rel="next"'
