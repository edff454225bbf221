"""Query strings: filters, paging and grouping. Unknown parameters are ignored."""

from typing import Any

from flask import request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validates_schema
from marshmallow.validate import Length, OneOf, Range

from ..errors import FieldErrors
from ..filters import Filters
from ..i18n import _, _l
from .fields import Currency, Cursor, IsoDate, KindName, PublicId, Text
from .sizes import (
    CATEGORY_LENGTH,
    DESCRIPTION_LENGTH,
    MAX_PAGE_SIZE,
    MAX_SYNC_PAGE_SIZE,
    PAGE_SIZE,
    SYNC_PAGE_SIZE,
)

FILTER_NAMES = ("date_from", "date_to", "category", "text", "account_id", "currency")


class DateRangeQuerySchema(Schema):
    """Query parameters shared by lists, exports, balances and summaries.

    Loads into {"filters": Filters, ...the other parameters}.
    """

    date_from = IsoDate(data_key="from")
    date_to = IsoDate(data_key="to")

    class Meta:
        unknown = EXCLUDE

    @validates_schema
    def _from_is_not_after_to(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(_("Must not be after 'to'."), "from")

    @post_load
    def _to_filters(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        names = [name for name in FILTER_NAMES if name in data]
        if "type" in data:
            data["kind"] = data.pop("type")
            names.append("kind")
        return {"filters": Filters(**{name: data.pop(name) for name in names}), **data}


class InCurrencyQuerySchema(Schema):
    """Totals count one currency only: this one, by default the default account's."""

    currency = Currency(metadata={"description": "Default: the default account's currency."})

    class Meta:
        unknown = EXCLUDE


class CategoryQuerySchema(DateRangeQuerySchema):
    category = Text(validate=Length(1, CATEGORY_LENGTH))
    account_id = PublicId(
        metadata={"description": "Only this account's rows (another user's: none)."}
    )


class BalanceQuerySchema(CategoryQuerySchema, InCurrencyQuerySchema):
    """/balance: the totals of one currency, narrowed by dates, category and account."""


class SummaryQuerySchema(DateRangeQuerySchema, InCurrencyQuerySchema):
    group = fields.String(required=True, validate=OneOf(["month", "category"]))


class KindFilterQuerySchema(CategoryQuerySchema):
    text = Text(data_key="q", validate=Length(1, DESCRIPTION_LENGTH))


class TransactionFilterQuerySchema(KindFilterQuerySchema):
    type = KindName(lower_case_choices=True)
    currency = Currency(metadata={"description": "Only rows in accounts of this currency."})


class PageQuerySchema(Schema):
    limit = fields.Integer(
        load_default=PAGE_SIZE,
        validate=Range(1, MAX_PAGE_SIZE, error=_l("Must be between {min} and {max}.")),
    )
    cursor = Cursor()


class KindPageQuerySchema(PageQuerySchema, KindFilterQuerySchema):
    """/incomes and /expenses: a page, narrowed by dates, category and text."""


class TransactionPageQuerySchema(PageQuerySchema, TransactionFilterQuerySchema):
    """/transactions: as for one kind, and `type` narrows to one kind."""


class SyncQuerySchema(Schema):
    """GET /sync: the version the client has seen, and a page size."""

    since = fields.Integer(
        load_default=0,
        validate=Range(0, error=_l("Must be at least {min}.")),
        metadata={"description": "The `server_knowledge` of the last page synced; 0: all."},
    )
    limit = fields.Integer(
        load_default=SYNC_PAGE_SIZE,
        validate=Range(1, MAX_SYNC_PAGE_SIZE, error=_l("Must be between {min} and {max}.")),
    )

    class Meta:
        unknown = EXCLUDE


class TransferPageQuerySchema(PageQuerySchema):
    """/transfers: a page, newest first."""

    class Meta:
        unknown = EXCLUDE


class AccountListQuerySchema(Schema):
    archived = fields.Boolean(
        metadata={"description": "false: leave archived accounts out; true: only those."}
    )

    class Meta:
        unknown = EXCLUDE


kind_page_query_schema = KindPageQuerySchema()
transaction_page_query_schema = TransactionPageQuerySchema()
transaction_export_query_schema = TransactionFilterQuerySchema()
balance_query_schema = BalanceQuerySchema()
summary_query_schema = SummaryQuerySchema()
sync_query_schema = SyncQuerySchema()
in_currency_query_schema = InCurrencyQuerySchema()
account_list_query_schema = AccountListQuerySchema()
transfer_page_query_schema = TransferPageQuerySchema()


def load_query(schema: Schema) -> dict[str, Any]:
    """Validate query parameters; errors become a 400 problem naming each parameter."""
    try:
        return schema.load(request.args)
    except ValidationError as error:
        raise FieldErrors(error.messages, 400, _("The query has invalid parameters.")) from None
