"""Budgets: what a user plans to spend per category and month."""

from datetime import date

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import db


class Budget(db.Model):
    """How much a user plans to spend on one category in one month (its first day), in one
    currency: a month's category may have a budget in each."""

    __tablename__ = "budgets"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="ck_budgets_amount_positive"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # in the currency's minor units
