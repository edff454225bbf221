"""Currencies: which ISO 4217 codes an account may hold, and each one's minor digits.

Both come from Babel's CLDR data, a maintained source: a code is active when it is legal
tender in some territory today (so `DEM` is not, `EUR` is), and its digits are CLDR's (2 for
USD and EUR, 0 for JPY, 3 for KWD).
"""

from datetime import UTC, datetime
from functools import cache

from babel.core import get_global
from babel.numbers import get_currency_precision, get_territory_currencies


@cache
def active_currencies() -> frozenset[str]:
    """Every currency in use as legal tender somewhere, read once per process."""
    today = datetime.now(UTC).date()
    return frozenset(
        code
        for territory in get_global("territory_currencies")
        for code in get_territory_currencies(territory, today)
    )


def is_active(code: object) -> bool:
    """Whether `code` is an active currency, written as ISO 4217 does (upper case)."""
    return isinstance(code, str) and code in active_currencies()


@cache
def minor_digits(code: str) -> int:
    """How many decimals an amount in this currency has (its minor units)."""
    return get_currency_precision(code)
