"""What a list, an export, a balance or a summary is narrowed to, and how text is matched.

Query-string schemas build it and the transaction store reads it; neither imports the other.
"""

import unicodedata
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from .models import Kind


@dataclass(frozen=True)
class Filters:
    """The narrowing of one read (None: no narrowing)."""

    kind: Kind | None = None
    date_from: date | None = None
    date_to: date | None = None
    category: str | None = None
    text: str | None = None
    account_id: UUID | None = None
    currency: str | None = None

    @property
    def by_account(self) -> bool:
        """True when nothing but the kind, the account and the currency narrow the rows, so
        the accounts' running totals answer."""
        return (self.date_from, self.date_to, self.category, self.text) == (None,) * 4


def fold(text: str) -> str:
    """`text` as `q` matches it: compatibility-normalised and fully case-folded, in Python, so
    both engines match alike ("straße" finds "STRASSE", "σ" finds "ς", "istanbul" finds
    "İstanbul", whose full folding keeps a combining dot that is dropped here)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return folded.replace("i\u0307", "i")
