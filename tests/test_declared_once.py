"""Each limit and pattern is declared once (cashman/schemas/sizes.py, schemas/fields.py; a
currency's minor digits: Babel's data, read by cashman/currencies.py): the validators, the error
texts in every language and the OpenAPI document follow it."""

import re
from decimal import Decimal

import pytest
from babel.numbers import get_currency_precision
from helpers import PASSWORD, assert_problem, json_body
from marshmallow import ValidationError

from cashman import currencies
from cashman.edge import MIB
from cashman.i18n import LANGUAGES
from cashman.models import Budget, IdempotencyRecord
from cashman.money import from_minor, to_minor
from cashman.resources.imports import TransactionImport
from cashman.schemas import fields as schema_fields
from cashman.schemas import sizes
from cashman.schemas.fields import IDEMPOTENCY_KEY, MONTH_PATTERN, USERNAME_PATTERN, Month
from cashman.schemas.imports import MAX_ROWS
from cashman.stores.pricing import minor_units


@pytest.fixture
def document(app) -> dict:
    return app.extensions["openapi"]


@pytest.fixture
def digits_from_babel():
    """Forget the minor digits read so far, before and after the test (they are cached)."""
    currencies.minor_digits.cache_clear()
    yield
    currencies.minor_digits.cache_clear()


@pytest.mark.parametrize("language", LANGUAGES)
def test_error_texts_take_the_limits_they_name(app, monkeypatch, digits_from_babel, language):
    """Every catalog has the placeholder: a changed limit changes the text in each language.

    A currency's minor digits are declared once, by Babel's data (cashman.currencies): changed
    there, the check of an amount, its text, and the minor units stored and answered follow."""
    monkeypatch.setattr(schema_fields, "IDEMPOTENCY_KEY_LENGTH", 77)
    monkeypatch.setattr(schema_fields, "MAX_ABS_AMOUNT", sizes.MAX_ABS_AMOUNT * 10)
    monkeypatch.setattr(currencies, "get_currency_precision", lambda code: 9)
    money = schema_fields.Money()
    with app.test_request_context(headers={"Accept-Language": language.replace("_", "-")}):
        assert "77" in schema_fields.idempotency_key_message()
        with pytest.raises(ValidationError) as too_large:
            money.deserialize(sizes.MAX_ABS_AMOUNT * 100)
        assert "10000000000000" in str(too_large.value)
        assert minor_units(Decimal("0.000000001"), "USD") == 1
        with pytest.raises(ValidationError) as too_precise:
            minor_units(Decimal("0.0000000001"), "USD")
        assert list(too_precise.value.messages) == ["amount"]
        assert " 9 " in str(too_precise.value)
    assert to_minor(Decimal("1.5"), "USD") == 1500000000
    assert str(from_minor(1500000000, "USD")) == "1.500000000"


# A currency's digits as Babel's data has them, and an amount with one more in each language.
ONE_TOO_MANY = [("USD", "0.001", 2), ("EUR", "0.001", 2), ("JPY", "0.1", 0), ("KWD", "0.0001", 3)]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("currency", "amount", "digits"), ONE_TOO_MANY)
def test_the_decimals_refused_are_the_currencys_in_every_language(
    client, language, currency, amount, digits
):
    assert currencies.minor_digits(currency) == get_currency_precision(currency) == digits
    username = f"user_{currency.lower()}"
    body = {"username": username, "password": PASSWORD, "currency": currency}
    json_body(client.post("/auth/register", json=body), 201)
    login = {"username": username, "password": PASSWORD}
    token = json_body(client.post("/auth/login", json=login))["access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept-Language": language.replace("_", "-"),
    }
    response = client.post(
        "/expenses", json={"description": "x", "amount": amount}, headers=headers
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    [message] = response.get_json()["errors"]["amount"]
    assert f" {digits} " in message
    if language == "en":
        assert message == f"An amount has at most {digits} decimal places."


def test_an_idempotency_key_is_refused_past_the_declared_length(client, alice):
    row = {"description": "Salary", "amount": 10}
    longest = "k" * sizes.IDEMPOTENCY_KEY_LENGTH
    headers = {**alice.headers, "Idempotency-Key": longest}
    json_body(client.post("/incomes", json=row, headers=headers), 201)
    headers["Idempotency-Key"] = longest + "k"
    assert_problem(
        client.post("/incomes", json=row, headers=headers),
        400,
        "Bad Request",
        "The request has an invalid header.",
        {"Idempotency-Key": ["Must be 1 to 255 printable ASCII characters."]},
    )


def test_stored_text_limits_are_their_columns_widths():
    assert sizes.DESCRIPTION_LENGTH == 255 and sizes.CATEGORY_LENGTH == 64
    assert Budget.__table__.c.category.type.length == sizes.CATEGORY_LENGTH
    assert IdempotencyRecord.__table__.c.key.type.length == sizes.IDEMPOTENCY_KEY_LENGTH


def test_the_document_shows_the_declared_limits_and_patterns(document):
    schemas = document["components"]["schemas"]
    income = schemas["Income"]["properties"]
    assert (income["description"]["maxLength"], income["category"]["maxLength"]) == (
        sizes.DESCRIPTION_LENGTH,
        sizes.CATEGORY_LENGTH,
    )
    username = schemas["Register"]["properties"]["username"]
    assert (username["minLength"], username["maxLength"]) == sizes.USERNAME_LENGTH
    assert username["pattern"] == f"^{USERNAME_PATTERN}$"
    operations = schemas["SyncBatch"]["properties"]["operations"]
    assert operations["maxItems"] == sizes.MAX_OPERATIONS
    listing = {p["name"]: p for p in document["paths"]["/transactions"]["get"]["parameters"]}
    assert listing["limit"]["schema"]["maximum"] == sizes.MAX_PAGE_SIZE
    assert listing["limit"]["schema"]["default"] == sizes.PAGE_SIZE
    feed = {p["name"]: p for p in document["paths"]["/sync"]["get"]["parameters"]}
    assert feed["limit"]["schema"]["maximum"] == sizes.MAX_SYNC_PAGE_SIZE
    create = {p["name"]: p for p in document["paths"]["/incomes"]["post"]["parameters"]}
    key = create["Idempotency-Key"]["schema"]
    assert key["maxLength"] == sizes.IDEMPOTENCY_KEY_LENGTH
    assert key["pattern"] == f"^{IDEMPOTENCY_KEY.pattern}$"
    too_large = document["components"]["responses"]["Problem413"]["description"]
    import_mib = TransactionImport.body_limit // MIB
    assert too_large.endswith(
        f"over 1 MiB (an import: over {import_mib} MiB or {MAX_ROWS:,} rows)."
    )
    month = schemas["Budget"]["properties"]["month"]
    assert month["pattern"] == f"^{MONTH_PATTERN}$"
    budget = document["paths"]["/budgets/{month}"]["get"]["parameters"][0]["schema"]
    assert budget["pattern"] == f"^{MONTH_PATTERN}$"


@pytest.mark.parametrize(
    ("text", "first_day"),
    [("2026-11", (2026, 11)), ("0001-01", (1, 1)), ("9999-12", (9999, 12))],
)
def test_a_month_is_read_and_written_one_way(text, first_day):
    month = Month.parse(text)
    assert (month.year, month.month, month.day) == (*first_day, 1)
    assert Month.format(month) == text


@pytest.mark.parametrize("text", ["0000-01", "2026-13", "2026-00", "2026-1", "202611", "2026-11\n"])
def test_what_is_not_a_real_month_is_none(text):
    assert Month.parse(text) is None
    assert not re.fullmatch(MONTH_PATTERN, text)
