"""The OpenAPI 3.1 document, generated at start-up from the resources and their schemas.

Each resource method declares what it takes and answers with `@documented(...)`, next to the
code; the schemas are the very marshmallow instances that validate and dump. Summaries and
descriptions are the docstrings. The error responses every operation can give (401 for a token,
400 for a query, 404 for an id, ...) follow from what it declares, so none is forgotten.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from inspect import cleandoc, getdoc
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

from .errors import PROBLEM_MIMETYPE, TITLES
from .models import MAX_ID, Kind
from .schemas import NUMERIC_STRING, Money, ProblemSchema

POSITIVE_NUMERIC_STRING = r"\+?[0-9]+(\.[0-9]+)?"

API_VERSION = "1.1.0"  # the same as pyproject.toml's (a test checks)
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
PATH_PARAMETER = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")

RESPONSE_HEADERS = {
    "Location": ("The path of the created transaction.", {"type": "string"}),
    "ETag": (
        "A strong validator of this version of the row; send it in If-Match or If-None-Match.",
        {"type": "string"},
    ),
    "Link": (
        'The next page: `<absolute URL>; rel="next"`. Absent on the last page.',
        {"type": "string"},
    ),
    "X-Total-Count": ("How many rows match the filters.", {"type": "integer", "minimum": 0}),
    "Vary": ("`Accept`: the answer is JSON or CSV by the Accept header.", {"type": "string"}),
    "Content-Disposition": (
        'attachment; filename="cashman-transactions.csv"',
        {"type": "string"},
    ),
    "WWW-Authenticate": (
        'The bearer challenge: `Bearer`, or `Bearer error="invalid_token"` when a token was '
        "presented but refused.",
        {"type": "string"},
    ),
    "Retry-After": ("Seconds to wait before trying again.", {"type": "integer"}),
    "RateLimit-Limit": ("Requests allowed in the window of the limit hit.", {"type": "integer"}),
    "RateLimit-Remaining": ("Requests left in that window.", {"type": "integer"}),
    "RateLimit-Reset": ("When the window ends, in Unix seconds.", {"type": "integer"}),
    "X-Request-ID": (
        "The request's ID: the client's X-Request-ID when it is 1 to 128 of [A-Za-z0-9._-], "
        "otherwise a new one. Also in problem bodies and in the server's log line.",
        {"type": "string"},
    ),
}

REQUEST_HEADERS = {
    "Idempotency-Key": (
        "Makes the POST safe to retry: a repeat with the same key and body returns the original "
        "201 and creates nothing; the same key with another body is a 422. Kept 24 hours.",
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$",
        },
    ),
    "If-Match": (
        "The ETag the change is based on; 412 if the row has changed since.",
        {"type": "string"},
    ),
    "If-None-Match": (
        "An ETag the client holds; 304 while the row still has it.",
        {"type": "string"},
    ),
}

CSV_DESCRIPTION = (
    "RFC 4180 CSV with the header `id,type,date,description,amount,category,created_at`; text "
    "cells starting with =, +, -, @, tab or CR are prefixed with ' against formula injection."
)

ERRORS = {
    400: "The body is not JSON, or a query parameter or header is invalid (`errors` names it).",
    401: "The bearer token is missing or refused, or the credentials are wrong.",
    404: "No such row of the caller's: absent, of the other kind, or someone else's.",
    409: "A conflict with stored data.",
    412: "If-Match does not match the row's current ETag.",
    413: "The body is over 1 MiB.",
    415: "The body is not application/json.",
    422: "The JSON body has invalid fields (`errors` names each).",
    429: "A rate limit was hit; wait for Retry-After seconds.",
    503: "The database is unavailable.",
}
ERROR_HEADERS = {
    401: ("WWW-Authenticate",),
    429: ("Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"),
    503: ("Retry-After",),
}


@dataclass(frozen=True)
class Operation:
    """What one resource method takes and answers, for the document."""

    returns: Schema | None = None
    status: int = 200
    headers: tuple[str, ...] = ()
    query: Schema | None = None
    body: Schema | Callable[[type], Schema] | None = None  # or: resource class -> schema
    request_headers: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()
    also: dict[int, str] = field(default_factory=dict)  # other successes, e.g. 304
    auth: str | None = "access"  # "access", "refresh" or None
    database: bool = True
    csv: bool = False
    tag: str = "transactions"


def documented(**details: Any) -> Callable:
    """Attach an `Operation` to a resource method."""

    def attach(method: Callable) -> Callable:
        method.openapi = Operation(**details)
        return method

    return attach


def _money_property(converter, field, **kwargs) -> dict:
    if not isinstance(field, Money):
        return {}
    if getattr(field.parent, "kind", None) is Kind.INCOME:
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


def _schema_name(schema: Schema | type[Schema]) -> str:
    """Component names: the class name without "Schema", "Patch" added for partial ones."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    return f"{name}Patch" if getattr(schema, "partial", False) else name


def build_spec(routes: Iterable[tuple[type, str]]) -> dict[str, Any]:
    """The OpenAPI document of these (resource, Flask path) routes."""
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(
        title="Cashman",
        version=API_VERSION,
        openapi_version="3.1.0",
        plugins=[plugin],
        info={
            "description": "Record incomes and expenses and see where the money goes. Log in at "
            "`POST /auth/login`, then send the access token as `Authorization: Bearer <token>`. "
            "Every error is an RFC 9457 problem document (`application/problem+json`).",
        },
    )
    plugin.converter.add_attribute_function(_money_property)
    spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    spec.components.schema("Problem", schema=ProblemSchema)
    for status, description in ERRORS.items():
        spec.components.response(f"Problem{status}", _problem_response(status, description))
    for resource, path in routes:
        operations = {
            method: _operation(resource, method, path)
            for method in HTTP_METHODS
            if getattr(getattr(resource, method, None), "openapi", None)
        }
        spec.path(path=PATH_PARAMETER.sub(r"{\g<name>}", path), operations=operations)
    return spec.to_dict()


def _problem_response(status: int, description: str) -> dict:
    names = (*ERROR_HEADERS.get(status, ()), "X-Request-ID")
    return {
        "description": f"{TITLES[status]}. {description}",
        "content": {PROBLEM_MIMETYPE: {"schema": "Problem"}},
        "headers": {name: _header(name, RESPONSE_HEADERS) for name in names},
    }


def _header(name: str, table: dict) -> dict:
    description, schema = table[name]
    return {"description": description, "schema": schema}


def _operation(resource: type, method: str, path: str) -> dict:
    handler = getattr(resource, method)
    details: Operation = handler.openapi
    summary, _, more = (getdoc(handler) or "").partition("\n")
    # The resource's own docstring (a class's __doc__ is not inherited), then the method's rest.
    parts = (cleandoc(resource.__doc__ or ""), cleandoc(more))
    operation: dict[str, Any] = {
        "operationId": f"{method}{resource.__name__}",
        "summary": summary,
        "tags": [details.tag],
        "responses": _responses(details, path),
    }
    if description := "\n\n".join(part for part in parts if part):
        operation["description"] = description
    if parameters := _parameters(details, path):
        operation["parameters"] = parameters
    if details.body is not None:
        body = details.body if isinstance(details.body, Schema) else details.body(resource)
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    if details.auth:
        operation["security"] = [{"bearerAuth": []}]
    return operation


def _parameters(details: Operation, path: str) -> list[dict]:
    parameters = []
    for match in PATH_PARAMETER.finditer(path):
        schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        parameters.append({"in": "path", "name": match["name"], "required": True, "schema": schema})
    if details.query is not None:
        parameters.append({"in": "query", "schema": details.query})
    for name in details.request_headers:
        parameters.append({"in": "header", "name": name, **_header(name, REQUEST_HEADERS)})
    return parameters


def _responses(details: Operation, path: str) -> dict:
    success: dict[str, Any] = {"description": _success_description(details.status)}
    content = {}
    if details.returns is not None:
        content["application/json"] = {"schema": details.returns}
    if details.csv:
        content["text/csv"] = {
            "schema": {"type": "string", "description": CSV_DESCRIPTION},
        }
    if content:
        success["content"] = content
    names = (*details.headers, "X-Request-ID")
    success["headers"] = {name: _header(name, RESPONSE_HEADERS) for name in names}
    responses = {str(details.status): success}
    for status, description in details.also.items():
        responses[str(status)] = {
            "description": description,
            "headers": {name: _header(name, RESPONSE_HEADERS) for name in ("ETag", "X-Request-ID")},
        }
    for status in sorted(_errors(details, path)):
        responses[str(status)] = f"Problem{status}"
    return responses


def _success_description(status: int) -> str:
    return {200: "OK", 201: "Created", 204: "No Content"}[status]


def _errors(details: Operation, path: str) -> set[int]:
    errors = set(details.errors)
    if details.auth:
        errors |= {401, 429}
    if details.query is not None:
        errors.add(400)
    if details.body is not None:
        errors |= {400, 413, 415, 422}
    if PATH_PARAMETER.search(path):
        errors.add(404)
    if details.database:
        errors.add(503)
    return errors
