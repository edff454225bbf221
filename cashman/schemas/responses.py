"""Response bodies: what the API answers, every always-present field marked `required`.

Transaction rows become JSON one way only: `transaction_rows`, a dump plan compiled from
`TransactionSchema` (`rows.RowDumper`; a test checks it is byte-for-byte marshmallow's own dump).
"""

from marshmallow import EXCLUDE, Schema, fields

from ..models import Kind
from .fields import MinorAmount, Money
from .rows import RowDumper


class ResponseSchema(Schema):
    """A body the API sends. The OpenAPI document types its amounts as plain numbers and lets
    it gain fields (no `additionalProperties: false`), so clients keep working when it does."""

    class Meta:
        unknown = EXCLUDE


class UserSchema(ResponseSchema):
    id = fields.UUID(required=True, attribute="public_id")
    username = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class MeSchema(UserSchema):
    default_account_id = fields.UUID(
        required=True, metadata={"description": "Where a new row goes unless it names one."}
    )


class TokensSchema(ResponseSchema):
    """A pair of tokens: an access token, and the session's live refresh token."""

    access_token = fields.String(required=True)
    refresh_token = fields.String(
        required=True, metadata={"description": "Spent by its next refresh, which gives another."}
    )
    token_type = fields.String(required=True, metadata={"enum": ["Bearer"]})
    expires_in = fields.Integer(
        required=True, metadata={"description": "Seconds until the access token expires."}
    )


class LoginTokensSchema(TokensSchema):
    """The tokens of a new session."""

    session_id = fields.UUID(required=True)
    refresh_expires_in = fields.Integer(
        required=True,
        metadata={"description": "Seconds until the session's refresh tokens expire."},
    )


class CookieTokensSchema(ResponseSchema):
    """Tokens handed over as httpOnly cookies (a login with `"cookies": true`, or a refresh by
    the refresh cookie): no token is in the body, only when the access token expires."""

    token_type = fields.String(required=True, metadata={"enum": ["cookie"]})
    expires_in = fields.Integer(
        required=True, metadata={"description": "Seconds until the access token expires."}
    )


class CookieLoginSchema(CookieTokensSchema):
    """A new session whose tokens are cookies."""

    session_id = fields.UUID(required=True)


class SessionSchema(ResponseSchema):
    """A session: one login, on one device."""

    id = fields.UUID(required=True)
    device = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    last_active_at = fields.DateTime(
        required=True, metadata={"description": "Its last login or refresh."}
    )
    current = fields.Boolean(
        required=True, metadata={"description": "Whether it is the session of this request."}
    )


class HealthSchema(ResponseSchema):
    status = fields.String(required=True, metadata={"enum": ["ok"]})


MESSAGES = {"type": "array", "items": {"type": "string"}}
ROW_MESSAGES = {"type": "object", "additionalProperties": MESSAGES}  # an import's bad row


class ProblemSchema(ResponseSchema):
    """RFC 9457 problem details: the body of every error (`application/problem+json`)."""

    type = fields.String(required=True, metadata={"enum": ["about:blank"]})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(metadata={"oneOf": [MESSAGES, ROW_MESSAGES]}),
        metadata={"description": "Each invalid field, parameter or header with its messages."},
    )
    request_id = fields.String(required=True, metadata={"description": "Its X-Request-ID."})


class JWKSchema(ResponseSchema):
    """A public key (RFC 7517): RSA keys carry `n` and `e`, EC keys `crv`, `x` and `y`."""

    kty = fields.String(required=True, metadata={"enum": ["RSA", "EC"]})
    kid = fields.String(required=True, metadata={"description": "The RFC 7638 thumbprint."})
    alg = fields.String(required=True, metadata={"enum": ["RS256", "ES256"]})
    use = fields.String(required=True, metadata={"enum": ["sig"]})
    n = fields.String()
    e = fields.String()
    crv = fields.String()
    x = fields.String()
    y = fields.String()


class JWKSetSchema(ResponseSchema):
    keys = fields.List(
        fields.Nested(JWKSchema),
        required=True,
        metadata={
            "description": "The signing key first, then the next one and the previous one during "
            "a rotation; none with HS256."
        },
    )


class TransactionSchema(ResponseSchema):
    """An income, an expense or a transfer's leg as answered (an expense's amount is
    negative; a leg's is negative in the account the money leaves)."""

    id = fields.UUID(required=True, attribute="public_id")
    type = fields.Enum(Kind, required=True)
    description = fields.String(required=True)
    amount = MinorAmount(
        "amount_minor",
        required=True,
        metadata={"description": "Exact, with the account currency's decimals."},
    )
    account_id = fields.UUID(required=True)
    transfer_id = fields.UUID(
        required=True,
        allow_none=True,
        metadata={"description": "The transfer a TRANSFER row is a leg of; null otherwise."},
    )
    category = fields.String(required=True, allow_none=True)
    date = fields.Date(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    version = fields.Integer(
        required=True,
        metadata={
            "description": "The user's change counter at the row's last change: every create, "
            "update that changes something and delete of the user's transactions adds one."
        },
    )


class DeletedSchema(ResponseSchema):
    """A deleted transaction, as the sync feed names it."""

    id = fields.UUID(required=True, attribute="public_id")
    type = fields.Enum(Kind, required=True)
    version = fields.Integer(required=True, metadata={"description": "The version of its delete."})


class TotalsSchema(ResponseSchema):
    currency = fields.String(required=True, metadata={"description": "ISO 4217: all it counts."})
    income = Money(required=True)
    expenses = Money(required=True, metadata={"description": "Negative, or 0."})
    balance = Money(required=True, metadata={"description": "income + expenses"})
    count = fields.Integer(required=True)


class SummarySchema(TotalsSchema):
    key = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": 'The month ("2026-11") or the category (null: none).'},
    )

    class Meta:
        unknown = EXCLUDE
        fields = ("key", "currency", "income", "expenses", "balance", "count")


tokens_schema = TokensSchema()
login_tokens_schema = LoginTokensSchema()
cookie_tokens_schema = CookieTokensSchema()
cookie_login_schema = CookieLoginSchema()
sessions_schema = SessionSchema(many=True)
jwk_set_schema = JWKSetSchema()
health_schema = HealthSchema()
user_schema = UserSchema()
me_schema = MeSchema()
transaction_schema = TransactionSchema()
transactions_schema = TransactionSchema(many=True)
totals_schema = TotalsSchema()
summary_schema = SummarySchema(many=True)
transaction_rows = RowDumper(transaction_schema)
deleted_rows = RowDumper(DeletedSchema())
