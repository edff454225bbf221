"""Database tables, one module per family: accounts (users, logins), the ledger
(transactions, tombstones, running totals), budgets, answers kept for retries, and the
rate-limit counters of a server without Redis.

Integer keys stay inside: the API shows each user's and row's UUID (`public_id`).
"""

from ..columns import new_public_id, utcnow
from .accounts import LoginSession, User
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

__all__ = [
    "CONTENT",
    "MAX_VERSION",
    "Budget",
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
