"""Database tables, one module per family: users (and their logins), accounts, the ledger
(transactions, tombstones, running totals), budgets, answers kept for retries, and the
rate-limit counters of a server without Redis.

Integer keys stay inside: the API shows each user's and row's UUID (`public_id`).
"""

from ..columns import new_public_id, utcnow
from .accounts import ACCOUNT_CONTENT, Account, AccountKind, DeletedAccount
from .budgets import Budget
from .ledger import (
    CONTENT,
    MAX_VERSION,
    DeletedTransaction,
    Kind,
    Transaction,
    TransactionTotal,
    etag,
)
from .limits import LimitCounter
from .replays import IdempotencyRecord, ReplayedBatch
from .users import LoginSession, User

__all__ = [
    "ACCOUNT_CONTENT",
    "CONTENT",
    "MAX_VERSION",
    "Account",
    "AccountKind",
    "Budget",
    "DeletedAccount",
    "DeletedTransaction",
    "IdempotencyRecord",
    "Kind",
    "LimitCounter",
    "LoginSession",
    "ReplayedBatch",
    "Transaction",
    "TransactionTotal",
    "User",
    "etag",
    "new_public_id",
    "utcnow",
]
