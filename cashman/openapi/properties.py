"""How the document types our own fields, and what it leaves out of request bodies.

apispec calls each of these (its attribute functions) for every marshmallow field, after its own.
"""

from ..json_provider import encode
from ..models import Kind
from ..schemas.bodies import BodySchema
from ..schemas.fields import KIND_PATTERN, MONTH_PATTERN, NUMERIC_STRING, KindName, Money, Month
from ..schemas.responses import ResponseSchema

POSITIVE_NUMERIC_STRING = r"\+?[0-9]+(\.[0-9]+)?"


def money_property(converter, field, **kwargs) -> dict:
    if not isinstance(field, Money):
        return {}
    if isinstance(field.parent, ResponseSchema):
        return {
            "type": "number",
            "description": "An exact amount with 2 decimal places (a JSON number as written, "
            "never rounded through a float by the server), e.g. 12.50.",
        }
    if getattr(field.parent, "kind", None) is Kind.INCOME or getattr(
        field.parent, "positive_amount", False
    ):
        return {
            "type": ["number", "string"],
            "exclusiveMinimum": 0,
            "pattern": f"^{POSITIVE_NUMERIC_STRING}$",
            "description": "An exact positive amount with at most 2 decimal places: a JSON "
            'number or a numeric string such as "12.50".',
            "examples": [5000, "12.50"],
        }
    return {
        "type": ["number", "string"],
        "pattern": f"^{NUMERIC_STRING.pattern}$",
        "description": "An exact amount with at most 2 decimal places: a JSON number or a "
        'numeric string such as "12.50". Responses always give a number with 2 decimals.',
        "examples": [50, "12.50"],
    }


def text_property(converter, field, **kwargs) -> dict:
    """Months and kinds are strings of a pattern (Python's and ECMA's alike)."""
    if isinstance(field, Month):
        return {"type": "string", "pattern": f"^{MONTH_PATTERN}$", "examples": ["2026-11"]}
    if isinstance(field, KindName):
        return {
            "type": "string",
            "pattern": f"^({KIND_PATTERN})$",
            "description": "INCOME or EXPENSE, in any case (income, Income).",
            "examples": [kind.name for kind in Kind],
        }
    return {}


def request_default(converter, field, ret: dict, **kwargs) -> dict:
    """A request body's field with a default is optional: said in its description, not as a
    `default`, which generators (openapi-typescript 7) take for "always present" and so make
    the field required in what the client must send."""
    if not isinstance(field.parent, BodySchema) or "default" not in ret:
        return {}
    default = ret.pop("default")
    said = f"Default: {encode(default).decode()}."
    return {"description": f"{ret['description']} {said}" if "description" in ret else said}


PROPERTY_FUNCTIONS = (money_property, text_property, request_default)
