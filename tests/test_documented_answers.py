"""The real answers validate against the OpenAPI document, and its request bodies mark only
what a client must send as required.

Clients generated from the document (openapi-python-client, openapi-typescript) and validators
(ajv) trust it: an answer it leaves out is a `KeyError` in the client, and a `default` on a
request field makes openapi-typescript 7 require the field in what the client sends.
"""

import pytest
from helpers import PASSWORD, json_body, register
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT = "urn:cashman:openapi"


def answer_validator(document: dict, path: str, method: str, status: int = 200):
    """A validator of the JSON body the document gives this operation's answer."""
    registry = Registry().with_resource(
        DOCUMENT, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    pointer = "/".join(
        ("paths", path.replace("/", "~1"), method, "responses", str(status), "content")
    )
    schema = {"$ref": f"{DOCUMENT}#/{pointer}/application~1json/schema"}
    return Draft202012Validator(schema, registry=registry, format_checker=None)


def invalid(validator, body) -> list[str]:
    return [error.message for error in validator.iter_errors(body)]


@pytest.fixture
def document(app) -> dict:
    return app.extensions["openapi"]


def test_a_cookie_login_and_a_cookie_refresh_are_documented_answers(client, document):
    register(client, "alice")
    login = answer_validator(document, "/auth/login", "post")
    refresh = answer_validator(document, "/auth/refresh", "post")

    by_cookie = client.post(
        "/auth/login", json={"username": "alice", "password": PASSWORD, "cookies": True}
    )
    assert by_cookie.status_code == 200
    body = json_body(by_cookie)
    assert set(body) == {"token_type", "expires_in", "session_id"}
    assert invalid(login, body) == []

    csrf = {"X-CSRF-TOKEN": client.get_cookie("csrf_refresh_token", path="/").value}
    refreshed = client.post("/auth/refresh", headers=csrf)
    assert refreshed.status_code == 200
    body = json_body(refreshed)
    assert body == {"token_type": "cookie", "expires_in": 900}
    assert invalid(refresh, body) == []

    # The token answers still validate, and each body is one of the documented answers only.
    by_token = client.post("/auth/login", json={"username": "alice", "password": PASSWORD})
    assert by_token.status_code == 200
    tokens = json_body(by_token)
    assert invalid(login, tokens) == []
    headers = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    rotated = client.post("/auth/refresh", headers=headers)
    assert rotated.status_code == 200
    assert invalid(refresh, json_body(rotated)) == []
    assert invalid(login, {"token_type": "cookie", "expires_in": 900}) != []  # no session_id


def test_cookie_answers_say_they_set_cookies(document):
    for path in ("/auth/login", "/auth/refresh"):
        headers = document["paths"][path]["post"]["responses"]["200"]["headers"]
        assert "Set-Cookie" in headers and "required" not in headers["Set-Cookie"], path


def request_body_schemas(document: dict) -> dict[str, dict]:
    """Every component a request body reaches, through `$ref`s, by name."""
    schemas = document["components"]["schemas"]
    found: dict[str, dict] = {}

    def visit(node) -> None:
        if isinstance(node, dict):
            if (ref := node.get("$ref", "")).startswith("#/components/schemas/"):
                name = ref.rpartition("/")[2]
                if name not in found:
                    found[name] = schemas[name]
                    visit(schemas[name])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    for item in document["paths"].values():
        for operation in item.values():
            visit(operation.get("requestBody", {}))
    return found


def test_request_bodies_give_no_default_that_generators_take_for_required(document):
    """openapi-typescript 7 types a property with a `default` as always present (so required
    in a request); the default is said in the description instead."""
    bodies = request_body_schemas(document)
    assert {"Income", "Expense", "IncomePatch", "Login", "UpsertOperation"} <= bodies.keys()
    defaults = [
        f"{name}.{field}"
        for name, schema in bodies.items()
        for field, property_ in schema.get("properties", {}).items()
        if "default" in property_
    ]
    assert defaults == []
    for name in ("Income", "Expense", "IncomePatch", "ExpensePatch", "UpsertOperation"):
        category = bodies[name]["properties"]["category"]
        assert category["description"] == "Default: null.", name
        assert "category" not in bodies[name].get("required", []), name
    cookies = bodies["Login"]["properties"]["cookies"]
    assert cookies["description"].endswith(" Default: false.")
    assert bodies["Login"]["required"] == ["password", "username"]
    assert bodies["Income"]["required"] == ["amount", "description"]
