"""Row writes with their bookkeeping: each takes the user's next version first (its lock orders
the user's writers), then keeps the running totals and the tombstones in the same database
transaction. The transaction store (a row per request) and the sync batch (many) both write
through these; neither commits here.
"""

import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Insert,
    Row,
    Select,
    bindparam,
    delete,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from ..database import request_connection, write_connection
from ..filters import fold
from ..models import CONTENT, Kind, Transaction, TransactionTotal, new_public_id
from ..money import to_cents
from .sync import bury
from .totals import COUNT_A_CHANGE, add_to_totals, adding_to_totals, next_version

INSERT_MANY = insert(Transaction).returning(*Transaction.listed(), sort_by_parameter_order=True)
FIND_MANY = select(*Transaction.listed()).where(
    Transaction.user_id == bindparam("user_id"),
    Transaction.public_id.in_(bindparam("public_ids", expanding=True)),
)


def same_content(row: Row, kind: Kind, content: dict[str, Any]) -> bool:
    """Whether the row already is what `content` (every CONTENT field, signed) describes."""
    return row.type is kind and all(row._mapping[name] == content[name] for name in CONTENT)


def find_rows(user_id: int, public_ids: list[uuid.UUID]) -> dict[uuid.UUID, Row]:
    """The user's rows with these ids, by id (absent ids are left out)."""
    rows = request_connection().execute(FIND_MANY, {"user_id": user_id, "public_ids": public_ids})
    return {row.public_id: row for row in rows}


def new_row(user_id: int, kind: Kind, content: dict[str, Any], version: int) -> dict[str, Any]:
    """The column values of a new row (under its `id`, if the client named it)."""
    now = datetime.now(UTC)
    values = {name: content[name] for name in CONTENT if name != "amount"}
    return values | {
        "public_id": content.get("id") or new_public_id(),
        "user_id": user_id,
        "type": kind,
        "amount_cents": to_cents(content["amount"]),
        "search_text": fold(content["description"]),
        "created_at": now,
        "updated_at": now,
        "version": version,
        "created_version": version,
    }


def insert_row(user_id: int, kind: Kind, content: dict[str, Any]) -> Row | None:
    """Insert a row under the next version; None if the user has its id already.

    None leaves the counter raised: the caller rolls the transaction back. On PostgreSQL the
    three writes are one statement (`_create_at_next_version`).
    """
    connection = write_connection()
    if connection.dialect.name == "postgresql":
        values = new_row(user_id, kind, content, version=0)  # the statement takes the version
        named = {f"new_{name}": value for name, value in values.items()}
        return connection.execute(_create_at_next_version(), {"user_id": user_id, **named}).first()
    values = new_row(user_id, kind, content, next_version(user_id))
    row = connection.execute(_insert(connection.dialect.name), values).first()
    if row is not None:
        add_to_totals(user_id, kind, 1, values["amount_cents"])
    return row


def insert_rows(user_id: int, new_rows: list[dict[str, Any]]) -> list[Row]:
    """Insert rows of `new_row` whose ids the user does not have, in one executemany, with
    their running totals: a batch pays per statement, not per row."""
    rows = write_connection().execute(INSERT_MANY, new_rows).all()
    _add_to_totals(user_id, new_rows)
    return rows


def add_rows(user_id: int, new_rows: list[dict[str, Any]]) -> None:
    """`insert_rows` for a caller that needs nothing back (an import, a seed): without
    RETURNING, the driver's executemany sends them in the fewest round trips."""
    if new_rows:
        write_connection().execute(insert(Transaction), new_rows)
        _add_to_totals(user_id, new_rows)


def _add_to_totals(user_id: int, new_rows: list[dict[str, Any]]) -> None:
    for kind in Kind:
        cents = [row["amount_cents"] for row in new_rows if row["type"] is kind]
        if cents:
            add_to_totals(user_id, kind, len(cents), sum(cents))


def update_row(
    user_id: int, row: Row, changes: dict[str, Any], version: int | None = None
) -> Row | None:
    """Give the row these (real) changes under `version` (by default the next); None if it is
    no longer the version read."""
    version = version or next_version(user_id)
    values = dict(changes)
    if "description" in values:
        values["search_text"] = fold(values["description"])
    if "amount" in values:
        values["amount_cents"] = to_cents(values.pop("amount"))
        add_to_totals(user_id, row.type, 0, values["amount_cents"] - to_cents(row.amount))
    statement = (
        update(Transaction)
        .where(*_version_of(user_id, row))
        .values(**values, updated_at=datetime.now(UTC), version=version)
        .returning(*Transaction.listed())
    )
    return write_connection().execute(statement).first()


def delete_row(user_id: int, row: Row, version: int | None = None) -> int | None:
    """Delete the row and leave its tombstone under `version` (by default the next); the
    delete's version, or None if the row is no longer the version read."""
    version = version or next_version(user_id)
    result = write_connection().execute(delete(Transaction).where(*_version_of(user_id, row)))
    if result.rowcount == 0:
        return None
    add_to_totals(user_id, row.type, -1, -to_cents(row.amount))
    bury(user_id, row, version)
    return version


def _version_of(user_id: int, row: Row) -> tuple:
    """The WHERE clause naming exactly this version of one of the user's rows."""
    return (
        Transaction.user_id == user_id,
        Transaction.public_id == row.public_id,
        Transaction.version == row.version,
    )


@cache
def _create_at_next_version() -> Select:
    """PostgreSQL: count a change, insert the row under it and add it to the running totals, in
    one statement of three data-modifying CTEs.

    One round trip instead of three, so the user's counter (the lock that orders the user's
    writes) is held from this statement to the commit only: concurrent creates of one user wait
    the less. An id the user has already inserts nothing and adds nothing; the caller rolls
    back the counted change, as on SQLite.
    """
    columns = Transaction.__table__.c
    # Every column new_row gives a value for, but the versions, which come from the counter.
    names = [name for name in columns.keys() if name not in ("id", "version", "created_version")]
    version = COUNT_A_CHANGE.cte("counted").c.server_knowledge
    # Named apart from every column: an UPDATE compiled with parameters named like its table's
    # columns would set them.
    values = [bindparam(f"new_{name}", type_=columns[name].type) for name in names]
    created = (
        postgresql.insert(Transaction)
        .from_select([*names, "version", "created_version"], select(*values, version, version))
        .on_conflict_do_nothing(index_elements=["user_id", "public_id"])
        .returning(*Transaction.listed())
        .cte("created")
    )
    totals = adding_to_totals(
        postgresql.insert(TransactionTotal).from_select(
            ["user_id", "type", "count", "amount_cents"],
            select(values[names.index("user_id")], values[names.index("type")], literal(1))
            .add_columns(values[names.index("amount_cents")])
            .select_from(created),
        )
    ).cte("totals")
    return select(created).add_cte(totals)


@cache
def _insert(dialect_name: str) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING the row, built once per engine: an id the
    user already has inserts nothing (a retried create, or another row's id)."""
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(Transaction)
    return insert.on_conflict_do_nothing(index_elements=["user_id", "public_id"]).returning(
        *Transaction.listed()
    )
