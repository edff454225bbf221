"""The OpenAPI document: valid 3.1, committed and current, covering every route; Swagger UI."""

import json
import re
import tomllib

import pytest
from helpers import NOT_FOUND, assert_problem
from live import ROOT
from openapi_spec_validator import OpenAPIV31SpecValidator

from cashman.openapi.spec import API_VERSION

COMMITTED = ROOT / "docs" / "openapi.json"
UNDOCUMENTED = {"/openapi.json", "/docs", "/docs/", "/docs/<path:path>"}


@pytest.fixture
def document(app) -> dict:
    return app.extensions["openapi"]


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    errors = [error.message for error in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []


def test_the_committed_document_is_the_generated_one(document):
    """Fails when the API changed and `make openapi` was not run."""
    assert json.loads(COMMITTED.read_text()) == document, "run: make openapi"
    assert COMMITTED.read_text() == json.dumps(document, indent=2) + "\n"


def test_openapi_json_serves_the_document(client, document):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json() == document


def test_every_route_and_method_is_documented(app, document):
    documented = {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule in UNDOCUMENTED or rule.rule.endswith("/") or rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule)
        served |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served


def test_protected_operations_name_the_bearer_and_cookie_schemes_401_and_403(document):
    public = {("/auth/register", "post"), ("/auth/login", "post"), ("/health", "get")}
    public |= {("/health/ready", "get"), ("/.well-known/jwks.json", "get")}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if (path, method) in public:
                assert "security" not in operation
            else:
                cookie = "refreshCookie" if path == "/auth/refresh" else "cookieAuth"
                assert operation["security"] == [{"bearerAuth": []}, {cookie: []}]
                # A change authenticated by cookie needs its CSRF header: 403 without it.
                statuses = ("401", "429") if method == "get" else ("401", "403", "429")
                for status in statuses:
                    assert operation["responses"][status] == {
                        "$ref": f"#/components/responses/Problem{status}"
                    }
                assert ("403" in operation["responses"]) is (method != "get")
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    for name, cookie in (
        ("cookieAuth", "access_token_cookie"),
        ("refreshCookie", "refresh_token_cookie"),
    ):
        assert {key: schemes[name][key] for key in ("type", "in", "name")} == {
            "type": "apiKey",
            "in": "cookie",
            "name": cookie,
        }


def test_the_documented_headers_and_parameters_of_lists(document):
    operation = document["paths"]["/transactions"]["get"]
    assert [parameter["name"] for parameter in operation["parameters"]] == [
        "from",
        "to",
        "category",
        "account_id",
        "q",
        "type",
        "currency",
        "limit",
        "cursor",
    ]
    # `required` says which headers every 200 carries: the CSV answer has no count and no Link.
    assert {
        name: header.get("required", False)
        for name, header in operation["responses"]["200"]["headers"].items()
    } == {
        "Vary": True,
        "X-Request-ID": True,
        "X-Total-Count": False,
        "Link": False,
        "Content-Disposition": False,
    }
    kind_list = document["paths"]["/incomes"]["get"]["responses"]["200"]["headers"]
    assert {name: header.get("required", False) for name, header in kind_list.items()} == {
        "X-Total-Count": True,
        "X-Request-ID": True,
        "Link": False,
    }
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    create = document["paths"]["/expenses"]["post"]
    assert [parameter["name"] for parameter in create["parameters"]] == ["Idempotency-Key"]
    assert set(create["responses"]["201"]["headers"]) == {"Location", "ETag", "X-Request-ID"}
    patch = document["paths"]["/expenses/{transaction_id}"]["patch"]
    assert [parameter["name"] for parameter in patch["parameters"]] == [
        "transaction_id",
        "If-Match",
    ]
    assert {"409", "412", "422"} <= set(patch["responses"])
    unavailable = document["components"]["responses"]["Problem503"]
    assert set(unavailable["headers"]) == {"Retry-After", "X-Request-ID"}
    limited = document["components"]["responses"]["Problem429"]
    assert set(limited["headers"]) == {
        "Retry-After",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "X-Request-ID",
    }


def test_request_bodies_carry_each_kinds_amount_rule(document):
    """Found by the fuzzer: incomes were documented as taking negative amounts."""
    schemas = document["components"]["schemas"]
    for name in ("Income", "IncomePatch"):
        assert schemas[name]["properties"]["amount"]["exclusiveMinimum"] == 0
    for name in ("Expense", "ExpensePatch", "Transaction"):
        assert "exclusiveMinimum" not in schemas[name]["properties"]["amount"]
    assert schemas["Income"]["required"] == ["amount", "description"]
    assert "required" not in schemas["IncomePatch"]
    paths = document["paths"]
    body = paths["/incomes/{transaction_id}"]["patch"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/IncomePatch"}


def test_response_schemas_are_typed_as_answered(document):
    """Typed clients read every always-sent field without a cast, and amounts as numbers."""
    schemas = document["components"]["schemas"]
    transaction = schemas["Transaction"]
    assert transaction["required"] == sorted(transaction["properties"])
    assert transaction["properties"]["amount"]["type"] == "number"
    assert transaction["properties"]["category"]["type"] == ["string", "null"]
    assert "additionalProperties" not in transaction  # answers may gain fields
    answers = ("User", "Tokens", "LoginTokens", "CookieTokens", "CookieLogin", "Session")
    for name in (*answers, "Totals", "Summary", "JWKSet"):
        assert schemas[name]["required"] == sorted(schemas[name]["properties"]), name
    assert schemas["JWK"]["required"] == ["alg", "kid", "kty", "use"]
    assert schemas["JWK"]["properties"]["use"] == {"type": "string", "enum": ["sig"]}
    refresh = document["paths"]["/auth/refresh"]["post"]["responses"]["200"]["content"]
    assert refresh["application/json"]["schema"] == {
        "oneOf": [
            {"$ref": "#/components/schemas/Tokens"},
            {"$ref": "#/components/schemas/CookieTokens"},
        ]
    }
    login = document["paths"]["/auth/login"]["post"]["responses"]["200"]["content"]
    assert login["application/json"]["schema"] == {
        "oneOf": [
            {"$ref": "#/components/schemas/LoginTokens"},
            {"$ref": "#/components/schemas/CookieLogin"},
        ]
    }


def test_request_schemas_leave_out_read_only_fields(document):
    schemas = document["components"]["schemas"]
    content = ["account_id", "amount", "category", "date", "description"]
    for name in ("IncomePatch", "ExpensePatch"):
        assert sorted(schemas[name]["properties"]) == content, name
        assert schemas[name]["additionalProperties"] is False
    for name in ("Income", "Expense"):  # a create may name its row
        assert sorted(schemas[name]["properties"]) == sorted([*content, "id"]), name
        assert schemas[name]["properties"]["id"]["format"] == "uuid"
        assert schemas[name]["additionalProperties"] is False


def test_descriptions_come_from_the_docstrings(document):
    operation = document["paths"]["/incomes"]["get"]
    assert operation["summary"] == "List a page of the caller's rows of this kind, newest first."
    assert operation["description"] == "The caller's incomes."


def test_the_version_is_the_projects(document):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert document["info"]["version"] == API_VERSION == project["version"]


def test_swagger_ui_is_served_from_installed_files(client):
    page = client.get("/docs/")
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    html = page.get_data(as_text=True)
    assert '"url": "/openapi.json"' in html
    assert '"persistAuthorization": true' in html
    assert not re.search(r"(src|href)=\"https?://", html), "no CDN: the machine may be offline"
    for asset in re.findall(r'(?:src|href)="(/docs/[^"]+)"', html):
        with client.get(asset) as response:  # closes the streamed file
            assert response.status_code == 200, asset
    # Found live: /docs was the one path that redirected; it answers as /docs/ does.
    assert (client.get("/docs").status_code, client.get("/docs").data) == (200, page.data)
    assert_problem(client.get("/docs/missing.js"), 404, "Not Found", NOT_FOUND)


def test_every_operation_documents_an_oversize_head(document):
    """Found by the fuzzer: a long query string got the app's 414, which no operation listed."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in ("414", "431"):
                assert operation["responses"][status] == {
                    "$ref": f"#/components/responses/Problem{status}"
                }, (path, method, status)
