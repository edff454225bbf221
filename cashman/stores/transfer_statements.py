"""The transfer store's reads (cashman.stores.transfers), each built once per process: a
transfer is its source leg (negative) joined to its destination leg (positive)."""

from sqlalchemy import bindparam, case, func, select, tuple_
from sqlalchemy.orm import aliased

from ..models import Kind, Transaction, TransactionTotal

SOURCE = aliased(Transaction, name="source")
DESTINATION = aliased(Transaction, name="destination")
NEWEST_FIRST = (SOURCE.date.desc(), SOURCE.created_version.desc())


TRANSFERS = (
    select(
        SOURCE.transfer_id.label("public_id"),
        SOURCE.account_id.label("from_account_id"),
        DESTINATION.account_id.label("to_account_id"),
        (-SOURCE.amount_minor).label("amount_minor"),
        SOURCE.currency.label("currency"),
        DESTINATION.amount_minor.label("to_amount_minor"),
        DESTINATION.currency.label("to_currency"),
        SOURCE.description,
        SOURCE.date,
        case(
            (SOURCE.version > DESTINATION.version, SOURCE.version), else_=DESTINATION.version
        ).label("version"),
        SOURCE.created_at,
        SOURCE.updated_at,  # the legs change together, the source first
        SOURCE.created_version,
        SOURCE.public_id.label("from_leg_id"),
        SOURCE.version.label("from_leg_version"),
        DESTINATION.public_id.label("to_leg_id"),
        DESTINATION.version.label("to_leg_version"),
    )
    .select_from(SOURCE)
    .join(
        DESTINATION,
        (DESTINATION.user_id == SOURCE.user_id)
        & (DESTINATION.transfer_id == SOURCE.transfer_id)
        & (DESTINATION.amount_minor > 0),
    )
    .where(
        SOURCE.user_id == bindparam("user_id"),
        SOURCE.type == Kind.TRANSFER,
        SOURCE.amount_minor < 0,
    )
)
ONE = TRANSFERS.where(SOURCE.transfer_id == bindparam("transfer_id"))
PAGE = TRANSFERS.order_by(*NEWEST_FIRST).limit(bindparam("limit"))
PAGE_AFTER = PAGE.where(
    tuple_(SOURCE.date, SOURCE.created_version)
    < tuple_(
        bindparam("after_date", type_=Transaction.date.type),
        bindparam("after", type_=Transaction.created_version.type),
    )
)
# Each transfer is two legs in the running totals.
LEG_COUNT = select(func.coalesce(func.sum(TransactionTotal.count), 0)).where(
    TransactionTotal.user_id == bindparam("user_id"), TransactionTotal.type == Kind.TRANSFER
)
