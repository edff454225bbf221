"""Password hashing with argon2id, at the cost set in the config."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


@lru_cache
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def _current_hasher() -> PasswordHasher:
    config = current_app.config
    return _hasher(
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_KIB"], config["ARGON2_PARALLELISM"]
    )


@lru_cache
def _decoy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("a password nobody has")


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return _current_hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; with no stored hash (unknown user) it spends the same time and fails."""
    hasher = _current_hasher()
    try:
        return hasher.verify(stored_hash or _decoy_hash(hasher), password) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether a hash was made at another cost than the configured one."""
    return _current_hasher().check_needs_rehash(stored_hash)
