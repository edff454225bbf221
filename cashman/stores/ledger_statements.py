"""The ledger writer's statements (cashman.stores.ledger), each built once per process (per
engine where the dialects differ): values are bound at execution, so a write pays neither for
building SQL nor for SQLAlchemy's cache key of a new statement."""

from datetime import UTC, datetime
from functools import cache

from flask import current_app
from sqlalchemy import (
    Connection,
    Insert,
    Select,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy import update as update_statement
from sqlalchemy.dialects import postgresql, sqlite

from ..models import (
    Account,
    DeletedAccount,
    DeletedTransaction,
    Transaction,
    TransactionTotal,
    User,
)

# The user's change counter: counting a change takes the lock that orders the user's writers.
COUNT_A_CHANGE = (
    update_statement(User)
    .where(User.id == bindparam("user_id"))
    .values(server_knowledge=User.server_knowledge + 1)
    .returning(User.server_knowledge)
)
HOLD_THE_COUNTER = (
    update_statement(User)
    .where(User.id == bindparam("user_id"))
    .values(server_knowledge=User.server_knowledge)
    .returning(User.server_knowledge)
)
ADVANCE_THE_COUNTER = (
    update_statement(User)
    .where(User.id == bindparam("user_id"))
    .values(server_knowledge=bindparam("knowledge"))
)
ACCOUNT_EXISTS = select(User.id).where(User.id == bindparam("user_id"))

INSERT = insert(Transaction)
INSERT_MANY = INSERT.returning(*Transaction.listed(), sort_by_parameter_order=True)
FIND_MANY = select(*Transaction.listed()).where(
    Transaction.user_id == bindparam("user_id"),
    Transaction.public_id.in_(bindparam("public_ids", expanding=True)),
)
TO_MOVE = (
    select(Transaction.id)
    .where(Transaction.user_id == bindparam("user_id"), Transaction.category == bindparam("old"))
    .order_by(Transaction.created_version)
)
MOVE_ONE = (
    update_statement(Transaction)
    .where(Transaction.id == bindparam("row_id"))
    .values(
        category=bindparam("new"),
        version=bindparam("new_version"),
        updated_at=bindparam("now"),
    )
)


def dialect(dialect_name: str):  # noqa: ANN201 (a dialect module)
    """The dialect whose INSERT has ON CONFLICT."""
    return postgresql if dialect_name == "postgresql" else sqlite


@cache
def insert_returning(dialect_name: str) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING the row: an id the user already has inserts
    nothing (a retried create, or another row's id)."""
    statement = dialect(dialect_name).insert(Transaction)
    return statement.on_conflict_do_nothing(index_elements=["user_id", "public_id"]).returning(
        *Transaction.listed()
    )


def adding_to_totals(statement: Insert) -> Insert:
    """An INSERT into the running totals that adds to a total the account has already."""
    return statement.on_conflict_do_update(
        index_elements=["user_id", "account_id", "type"],
        set_={
            "count": TransactionTotal.count + statement.excluded.count,
            "amount_minor": TransactionTotal.amount_minor + statement.excluded.amount_minor,
        },
    )


@cache
def totals_upsert(dialect_name: str) -> Insert:
    """`adding_to_totals` with the values given."""
    return adding_to_totals(dialect(dialect_name).insert(TransactionTotal))


@cache
def create_at_next_version() -> Select:
    """PostgreSQL: count a change, insert the row under it and add it to the running totals, in
    one statement of three data-modifying CTEs.

    One round trip instead of three, so the user's counter (the lock that orders the user's
    writes) is held from this statement to the commit only. An id the user has already inserts
    nothing and adds nothing, and so does a deleted account (no counter to count on).
    """
    columns = Transaction.__table__.c
    # Every column a new row gives a value for, but the versions, which come from the counter.
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
    value = {name: values[names.index(name)] for name in ("user_id", "account_id", "type")}
    totals = adding_to_totals(
        postgresql.insert(TransactionTotal).from_select(
            ["user_id", "account_id", "type", "count", "amount_minor"],
            select(value["user_id"], value["account_id"], value["type"], literal(1))
            .add_columns(values[names.index("amount_minor")])
            .select_from(created),
        )
    ).cte("totals")
    return select(created).add_cte(totals)


@cache
def bury(dialect_name: str) -> Insert:
    """INSERT a tombstone; an id deleted before (and created again since) gets the new one."""
    statement = dialect(dialect_name).insert(DeletedTransaction)
    return statement.on_conflict_do_update(
        index_elements=["user_id", "public_id"],
        set_={name: statement.excluded[name] for name in ("type", "version", "deleted_at")},
    )


def forget_old_tombstones(connection: Connection, user_id: int) -> None:
    """Forget the user's tombstones older than SYNC_RETENTION_DAYS, and remember up to which
    version (GET /sync answers 410 below it); every delete's commit does it, so pruning needs
    no schedule."""
    cutoff = datetime.now(UTC) - current_app.config["SYNC_RETENTION_DAYS"]
    forgotten = [
        version
        for tombstone in (DeletedTransaction, DeletedAccount)
        for version in connection.execute(
            delete(tombstone)
            .where(tombstone.user_id == user_id, tombstone.deleted_at < cutoff)
            .returning(tombstone.version)
        ).scalars()
    ]
    if (newest := max(forgotten, default=None)) is not None:
        raised = case((User.forgotten_through < newest, newest), else_=User.forgotten_through)
        connection.execute(
            update_statement(User).where(User.id == user_id).values(forgotten_through=raised)
        )


# Accounts: written under the user's versions like rows; each answer reads its balance.
BALANCE_MINOR = (
    select(func.coalesce(func.sum(TransactionTotal.amount_minor), 0))
    .where(
        TransactionTotal.user_id == Account.user_id,
        TransactionTotal.account_id == Account.public_id,
    )
    .correlate(Account)
    .scalar_subquery()
)
ACCOUNT_ANSWERED = (
    *Account.listed(),
    (Account.opening_balance_minor + BALANCE_MINOR).label("balance_minor"),
)
OPEN_ACCOUNT = insert(Account)
FIND_ACCOUNTS = select(*ACCOUNT_ANSWERED).where(Account.user_id == bindparam("user_id"))
THE_ACCOUNT = (Account.user_id == bindparam("user_id"), Account.public_id == bindparam("public_id"))
HOLDS_ROWS = (
    select(Transaction.id)
    .where(
        Transaction.user_id == bindparam("user_id"),
        Transaction.account_id == bindparam("public_id"),
    )
    .limit(1)
)


@cache
def bury_account(dialect_name: str) -> Insert:
    """INSERT an account's tombstone (an id deleted before gets the new one)."""
    statement = dialect(dialect_name).insert(DeletedAccount)
    return statement.on_conflict_do_update(
        index_elements=["user_id", "public_id"],
        set_={name: statement.excluded[name] for name in ("version", "deleted_at")},
    )
