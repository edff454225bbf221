"""Money at the edges: exact `Decimal` amounts in Python, integer minor units in the database.

How many minor units a currency's major unit holds is the currency's (cashman.currencies):
100 cents in a dollar, 1 yen in a yen, 1000 fils in a dinar.
"""

from decimal import Decimal

from .currencies import minor_digits

MAX_AMOUNT = Decimal("1000000000000")


def places(amount: Decimal) -> int:
    """How many decimals `amount` really has (12.50 has 1; 12.00 and 1E+3 have none), read
    from its digits: `normalize()` would round to the context's precision first."""
    _sign, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return 0
    significant = "".join(map(str, digits)).rstrip("0")
    return max(0, -exponent - (len(digits) - len(significant))) if significant else 0


class TooManyDecimals(ValueError):
    """An amount with more decimals than its currency has: it would be rounded."""

    def __init__(self, amount: Decimal, currency: str, digits: int) -> None:
        super().__init__(f"{amount} has more decimals than {currency} has ({digits})")
        self.digits = digits


def to_minor(amount: Decimal, currency: str) -> int:
    """The amount in the currency's minor units; refuses anything it would round (amounts
    are bounded by MAX_AMOUNT before they get here, so the context's precision holds them)."""
    digits = minor_digits(currency)
    if places(amount) > digits:
        raise TooManyDecimals(amount, currency, digits)
    return int(amount.scaleb(digits))


def from_minor(minor: int, currency: str) -> Decimal:
    """Stored minor units as an amount with exactly the currency's decimals (`1000` yen,
    `12.345` dinars, `12.50` dollars)."""
    return Decimal(minor).scaleb(-minor_digits(currency))
