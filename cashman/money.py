"""Money at the edges: exact `Decimal` amounts in Python, integer cents in the database."""

from decimal import Decimal

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000000")


def to_cents(amount: Decimal) -> int:
    """Convert an amount that has no fraction of a cent; refuses anything it would round."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has a fraction of a cent")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    """Convert stored cents back to an amount with exactly two decimals."""
    return Decimal(cents).scaleb(-2)
