"""Categories and budgets: the bodies they take and the answers they give."""

from marshmallow import fields
from marshmallow.validate import Length, Range

from ..i18n import _l
from .bodies import BodySchema
from .fields import MinorAmount, Money, Month, TrimmedText
from .responses import ResponseSchema
from .sizes import CATEGORY_LENGTH

MONTH_FIELD = {"description": "The month, YYYY-MM."}


CURRENCY_FIELD = {"description": "ISO 4217: the one currency the amounts count."}


class CategorySchema(ResponseSchema):
    name = fields.String(required=True, attribute="key")
    currency = fields.String(required=True, metadata=CURRENCY_FIELD)
    count = fields.Integer(
        required=True, metadata={"description": "Its transactions (0: a budget's only)."}
    )
    income = Money(required=True)
    expenses = Money(required=True, metadata={"description": "Negative, or 0."})


class CategoryNameSchema(BodySchema):
    """A category's name, as transactions store it: trimmed, 1 to CATEGORY_LENGTH characters."""

    answered_with = CategorySchema
    name = TrimmedText(required=True, validate=Length(1, CATEGORY_LENGTH))


class BudgetSchema(ResponseSchema):
    month = Month(required=True, metadata=MONTH_FIELD)
    category = fields.String(required=True)
    currency = fields.String(
        required=True, metadata={"description": "ISO 4217: the currency it was set in."}
    )
    amount = MinorAmount("amount_minor", required=True)


class BudgetBodySchema(BodySchema):
    """A budget's amount: positive, with at most its currency's decimals."""

    answered_with = BudgetSchema
    positive_amount = True  # the OpenAPI document says so

    amount = Money(
        required=True,
        validate=Range(min=0, min_inclusive=False, error=_l("A budget must be positive.")),
    )


class BudgetLineSchema(ResponseSchema):
    budgeted = Money(required=True, metadata={"description": "0 without a budget."})
    spent = Money(required=True, metadata={"description": "The month's expenses: negative, or 0."})
    available = Money(required=True, metadata={"description": "budgeted + spent"})


class CategoryBudgetSchema(BudgetLineSchema):
    category = fields.String(
        required=True, allow_none=True, metadata={"description": "null: uncategorised expenses."}
    )

    class Meta(ResponseSchema.Meta):
        fields = ("category", "budgeted", "spent", "available")


class MonthBudgetSchema(ResponseSchema):
    month = Month(required=True, metadata=MONTH_FIELD)
    currency = fields.String(required=True, metadata=CURRENCY_FIELD)
    categories = fields.List(
        fields.Nested(CategoryBudgetSchema),
        required=True,
        metadata={"description": "By name; uncategorised expenses (null) last."},
    )
    total = fields.Nested(BudgetLineSchema, required=True)


categories_schema = CategorySchema(many=True)
category_schema = CategorySchema()
category_name_schema = CategoryNameSchema()
budget_schema = BudgetSchema()
budget_body_schema = BudgetBodySchema()
month_budget_schema = MonthBudgetSchema()
