"""Build the OpenAPI 3.1 document from the routes, their `@documented` operations and schemas.

Summaries and descriptions are the docstrings. Whether an operation needs a bearer token comes
from its resource's one declaration (cashman.resources). The error responses every operation can
give (401 for a token, 400 for a query, 404 for an id, ...) follow from what it declares, so none
is forgotten.
"""

import re
from collections.abc import Iterable, Sequence
from inspect import cleandoc, getdoc
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

from ..edge import MIB
from ..errors import PROBLEM_MIMETYPE, TITLES
from ..resources import required_token
from ..schemas.fields import MONTH_PATTERN, UUID_PATTERN
from ..schemas.responses import ProblemSchema
from ..schemas.sync import OPERATION_SCHEMAS
from .operation import Operation
from .properties import PROPERTY_FUNCTIONS
from .tables import (
    CSV_DESCRIPTION,
    CSV_IMPORT,
    ERROR_HEADERS,
    ERRORS,
    REQUEST_HEADERS,
    RESPONSE_HEADERS,
)

API_VERSION = "1.1.0"  # the same as pyproject.toml's (a test checks)
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
# What each route converter takes (cashman.api): ids, months, and names (URL-encoded).
PATH_SCHEMAS = {
    "uuid": {"type": "string", "format": "uuid", "pattern": f"^{UUID_PATTERN}$"},
    "month": {"type": "string", "pattern": f"^{MONTH_PATTERN}$", "examples": ["2026-12"]},
    "name": {
        "type": "string",
        "minLength": 1,
        "description": "A category name, URL-encoded (spaces, /, non-ASCII).",
    },
}
PATH_PARAMETER = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _schema_name(schema: Schema | type[Schema]) -> str:
    """Component names: the class name without "Schema", "Patch" added for partial ones
    (unless the class is named so)."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    patch = getattr(schema, "partial", False) and not name.endswith("Patch")
    return f"{name}Patch" if patch else name


def build_spec(routes: Sequence[tuple[type, str]]) -> dict[str, Any]:
    """The OpenAPI document of these (resource, Flask path) routes."""
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(
        title="Cashman",
        version=API_VERSION,
        openapi_version="3.1.0",
        plugins=[plugin],
        servers=[{"url": "/"}],  # served, it is the path the API is served at (a prefix)
        info={
            "description": "Record incomes and expenses and see where the money goes. Log in at "
            "`POST /auth/login`, then send the access token as `Authorization: Bearer <token>`. "
            "Every error is an RFC 9457 problem document (`application/problem+json`).",
        },
    )
    for attribute_function in PROPERTY_FUNCTIONS:
        plugin.converter.add_attribute_function(attribute_function)
    spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    for name, cookie in (("cookieAuth", "access"), ("refreshCookie", "refresh")):
        description = (
            f'The {cookie} token in an httpOnly cookie (log in with `"cookies": true`). POST, '
            f"PUT, PATCH and DELETE must send X-CSRF-TOKEN equal to the csrf_{cookie}_token "
            "cookie, else 403."
        )
        scheme = {"type": "apiKey", "in": "cookie", "name": f"{cookie}_token_cookie"}
        spec.components.security_scheme(name, {**scheme, "description": description})
    spec.components.schema("Problem", schema=ProblemSchema)
    for name, schema in OPERATION_SCHEMAS.items():  # the items of POST /sync's `operations`
        spec.components.schema(name, schema=schema)
    import_mib = max(getattr(resource, "body_limit", 0) for resource, _ in routes) // MIB
    for status, description in ERRORS.items():
        description = description.format(import_mib=import_mib)
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
        "headers": _response_headers(names),
    }


def _header(name: str, table: dict) -> dict:
    description, schema = table[name]
    return {"description": description, "schema": schema}


def _response_headers(always: Iterable[str], only: dict[str, str] | None = None) -> dict:
    """Headers sent with every such response (`required`), then those sent only sometimes."""
    headers = {name: {**_header(name, RESPONSE_HEADERS), "required": True} for name in always}
    for name, when in (only or {}).items():
        header = _header(name, RESPONSE_HEADERS)
        headers[name] = {**header, "description": f"{header['description']} {when}"}
    return headers


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
        "responses": _responses(details, path, token := required_token(resource), method),
    }
    if description := "\n\n".join(part for part in parts if part):
        operation["description"] = description
    if parameters := _parameters(details, path):
        operation["parameters"] = parameters
    if details.body is not None:
        body = details.body if isinstance(details.body, Schema) else details.body(resource)
        content = {"application/json": {"schema": body}}
        if details.csv_body:
            content["text/csv"] = {"schema": {"type": "string", "description": CSV_IMPORT}}
        operation["requestBody"] = {"required": True, "content": content}
    if token:
        cookie = "refreshCookie" if token == "refresh" else "cookieAuth"
        operation["security"] = [{"bearerAuth": []}, {cookie: []}]
    return operation


def _parameters(details: Operation, path: str) -> list[dict]:
    parameters = []
    for match in PATH_PARAMETER.finditer(path):
        schema = PATH_SCHEMAS[match["converter"]]
        parameters.append({"in": "path", "name": match["name"], "required": True, "schema": schema})
    if details.query is not None:
        parameters.append({"in": "query", "schema": details.query})
    for name in details.request_headers:
        parameters.append({"in": "header", "name": name, **_header(name, REQUEST_HEADERS)})
    return parameters


def _responses(details: Operation, path: str, token: str | None, method: str) -> dict:
    success: dict[str, Any] = {"description": _success_description(details.status)}
    content = {}
    if isinstance(details.returns, tuple):
        content["application/json"] = {"schema": {"oneOf": list(details.returns)}}
    elif details.returns is not None:
        content["application/json"] = {"schema": details.returns}
    if details.csv:
        content["text/csv"] = {
            "schema": {"type": "string", "description": CSV_DESCRIPTION},
        }
    if content:
        success["content"] = content
    success["headers"] = _response_headers((*details.headers, "X-Request-ID"), details.only)
    responses = {str(details.status): success}
    for status, description in details.alike.items():
        responses[str(status)] = {**success, "description": description}
    for status, description in details.also.items():
        responses[str(status)] = {
            "description": description,
            "headers": _response_headers(("ETag", "X-Request-ID")),
        }
    for status in sorted(_errors(details, path, token, method)):
        responses[str(status)] = f"Problem{status}"
    return responses


def _success_description(status: int) -> str:
    return {200: "OK", 201: "Created", 204: "No Content"}[status]


def _errors(details: Operation, path: str, token: str | None, method: str) -> set[int]:
    errors = set(details.errors) | {414, 431}  # any request's head may be too large
    if token:
        errors |= {401, 429}
    if token and method != "get":
        errors.add(403)  # a cookie-authenticated change without its CSRF header
    if details.query is not None:
        errors.add(400)
    if details.body is not None:
        errors |= {400, 413, 415, 422}
    if PATH_PARAMETER.search(path):
        errors.add(404)
    if details.database:
        errors.add(503)
    return errors
