"""One error shape for every status on every route, on the production error path."""

import io
import logging

import pytest
from helpers import NOT_FOUND, SOME_ID, assert_invalid_body, assert_problem

from cashman.stores.ledger import Ledger
from cashman.stores.transactions import TransactionStore

NOT_ALLOWED = "The method is not allowed for the requested URL."
INTERNAL = (
    "The server encountered an internal error and was unable to complete your request. "
    "Either the server is overloaded or there is an error in the application."
)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/", "/nope", "/income", "/incomes/1/extra", "/static/app.js"])
def test_unknown_urls_are_404_problems(prod_client, method, path):
    assert_problem(prod_client.open(path, method=method), 404, "Not Found", NOT_FOUND)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/incomes", "GET, HEAD, OPTIONS, POST"),
        ("PUT", "/expenses/", "GET, HEAD, OPTIONS, POST"),
        ("PUT", f"/incomes/{SOME_ID}", "DELETE, GET, HEAD, OPTIONS, PATCH"),
        ("POST", "/transactions", "GET, HEAD, OPTIONS"),
        ("GET", "/auth/login", "OPTIONS, POST"),
        ("PATCH", "/auth/me", "DELETE, GET, HEAD, OPTIONS"),
        ("POST", "/health", "GET, HEAD, OPTIONS"),
    ],
)
def test_wrong_methods_are_405_problems_with_allow(prod_client, method, path, allow):
    response = prod_client.open(path, method=method)
    assert_problem(response, 405, "Method Not Allowed", NOT_ALLOWED)
    assert sorted(response.headers["Allow"].split(", ")) == allow.split(", ")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{", "The request body is not valid JSON."),
        (b"{'a': 1}", "The request body is not valid JSON."),
        (b"", "The request body is not valid JSON."),
        (b'{"description": "x",}', "The request body is not valid JSON."),
        (b"[" * 10_000 + b"]" * 10_000, "The JSON is nested more than 16 levels deep."),
    ],
)
def test_malformed_json_is_400(prod_client, make_account, body, detail):
    alice = make_account(prod_client, "alice")
    response = prod_client.post(
        "/incomes", data=body, content_type="application/json", headers=alice.headers
    )
    assert_problem(response, 400, "Bad Request", detail)


def test_malformed_json_on_a_public_route_is_400(prod_client):
    response = prod_client.post("/auth/register", data="{", content_type="application/json")
    assert_problem(response, 400, "Bad Request", "The request body is not valid JSON.")


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_body_that_is_not_json_is_415(prod_client, make_account, content_type):
    alice = make_account(prod_client, "alice")
    headers = dict(alice.headers)
    if content_type:
        headers["Content-Type"] = content_type
    response = prod_client.post("/incomes", data="description=x&amount=1", headers=headers)
    assert_problem(
        response,
        415,
        "Unsupported Media Type",
        "The request body must be JSON (Content-Type: application/json).",
    )


def test_bodies_over_one_mebibyte_are_413(prod_client, make_account):
    alice = make_account(prod_client, "alice")
    body = '{"description": "' + "x" * (1024 * 1024) + '", "amount": 1}'
    response = prod_client.post(
        "/incomes", data=body, content_type="application/json", headers=alice.headers
    )
    assert_problem(
        response,
        413,
        "Content Too Large",
        "The request body is larger than 1 MiB.",
    )


@pytest.mark.parametrize("size", [1024 * 1024 + 1, 3 * 1024 * 1024])
def test_a_chunked_body_over_one_mebibyte_is_413_not_cut(prod_client, make_account, size):
    """Found live: a chunked body (no Content-Length) was cut at 1 MiB and called bad JSON.

    `wsgi.input_terminated` is what gunicorn sets for a chunked body it has de-chunked.
    """
    alice = make_account(prod_client, "alice")
    padding = "x" * (size - len('{"description": "", "amount": 1}'))
    body = ('{"description": "' + padding + '", "amount": 1}').encode()
    response = prod_client.post(
        "/incomes",
        input_stream=io.BytesIO(body),
        headers={
            **alice.headers,
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
        },
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_problem(response, 413, "Content Too Large", "The request body is larger than 1 MiB.")
    assert prod_client.get("/incomes", headers=alice.headers).get_json() == []


def test_a_chunked_body_within_the_limit_is_read_whole(prod_client, make_account):
    alice = make_account(prod_client, "alice")
    description = "d" * 255
    body = f'{{"description": "{description}", "amount": 1, "category": "{" " * 1000000}x"}}'
    response = prod_client.post(
        "/incomes",
        input_stream=io.BytesIO(body.encode()),
        headers={
            **alice.headers,
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
        },
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert (response.get_json()["description"], response.get_json()["category"]) == (
        description,
        "x",
    )


@pytest.mark.parametrize("body", ["[]", '"text"', "5", "null"])
def test_a_json_body_that_is_not_an_object_is_422(prod_client, make_account, body):
    alice = make_account(prod_client, "alice")
    response = prod_client.post(
        "/incomes", data=body, content_type="application/json", headers=alice.headers
    )
    assert_invalid_body(
        response,
        {"_schema": ["Invalid input type."]},
    )


def test_unexpected_errors_are_logged_and_answered_without_internals(
    prod_client, make_account, monkeypatch, caplog
):
    alice = make_account(prod_client, "alice")

    def explode(self, *args):
        raise RuntimeError("connection string postgres://secret@db")

    monkeypatch.setattr(TransactionStore, "page", explode)
    with caplog.at_level(logging.ERROR):
        response = prod_client.get("/incomes", headers=alice.headers)
    assert_problem(response, 500, "Internal Server Error", INTERNAL)
    assert b"secret" not in response.data
    assert b"Traceback" not in response.data
    assert "RuntimeError: connection string" in caplog.text
    assert "Traceback" in caplog.text


def test_no_error_is_html(prod_client):
    for response in (
        prod_client.get("/nope"),
        prod_client.put("/incomes"),
        prod_client.get("/incomes"),
        prod_client.post("/auth/login", data="x"),
    ):
        assert response.headers["Content-Type"] == "application/problem+json"
        assert b"<" not in response.data


def test_an_unforeseen_integrity_error_is_a_409_problem(prod_client, make_account, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    alice = make_account(prod_client, "alice")

    def conflict(self, kind, fields):
        raise IntegrityError("INSERT ...", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(Ledger, "create", conflict)
    response = prod_client.post(
        "/incomes", json={"description": "x", "amount": 1}, headers=alice.headers
    )
    assert_problem(response, 409, "Conflict", "The request conflicts with data already stored.")
    assert b"UNIQUE" not in response.data
