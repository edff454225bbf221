"""The app's one JSON encoder and decoder: request bodies as the docs define JSON (16 levels, no
repeated key, exact numbers), and the texts the app hashes, byte for byte as before."""

import hashlib
import json
from decimal import Decimal

import pytest
from helpers import assert_invalid_body, assert_problem, json_body
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cashman.database import db
from cashman.json_provider import MAX_DEPTH, NestedTooDeeply, decode, spaced_ascii
from cashman.models.replays import IdempotencyRecord

NOT_JSON = "The request body is not valid JSON."
TOO_DEEP = "The JSON is nested more than 16 levels deep."


def post_text(client, account, text: str | bytes, path: str = "/incomes"):
    return client.post(path, data=text, content_type="application/json", headers=account.headers)


def nested(levels: int) -> str:
    """A body `levels` deep: the object, then arrays down to an empty one, as its category."""
    return (
        '{"description": "x", "amount": 1, "category": '
        + "[" * (levels - 1)
        + "]" * (levels - 1)
        + "}"
    )


def test_a_body_16_levels_deep_is_read_and_17_is_a_400(client, alice):
    assert MAX_DEPTH == 16
    assert_invalid_body(post_text(client, alice, nested(16)), {"category": ["Not a valid string."]})
    assert_problem(post_text(client, alice, nested(17)), 400, "Bad Request", TOO_DEEP)
    assert_problem(post_text(client, alice, nested(100)), 400, "Bad Request", TOO_DEEP)


@pytest.mark.parametrize("levels", [16, 17])
def test_a_sync_batch_is_held_to_the_same_depth(client, alice, levels):
    inner = "[" * (levels - 3) + "]" * (levels - 3)
    body = '{"operations": [{"op": "upsert", "fields": ' + inner + "}]}"
    response = post_text(client, alice, body, "/sync")
    if levels == 17:
        assert_problem(response, 400, "Bad Request", TOO_DEEP)
    else:  # read, then checked
        errors = {"operations.0.id": ["Missing data for required field."]}
        detail = "The request body has invalid fields."
        assert_problem(response, 422, "Unprocessable Content", detail, errors)


@pytest.mark.parametrize(
    "text",
    [
        '{"description": "x", "amount": 1, "description": "y"}',
        '{"description": "x", "amount": 1, "amount" : 1000}',  # a space before the colon
        '{"description": "a\\": b", "amount": 1, "amount": 2}',  # a quote and colon in a string
        '{"description": "x", "amount": 1, "category": {"a": 1, "a": 1}}',
    ],
)
def test_a_repeated_key_is_refused_wherever_it_is(client, alice, text):
    assert_problem(post_text(client, alice, text), 400, "Bad Request", NOT_JSON)
    assert json_body(client.get("/incomes", headers=alice.headers)) == []


@pytest.mark.parametrize(
    "escaped",
    ['"\\udfff"', '"pizza \\ud83d"', '"\\udc80food"', '"\\ude00\\ud83d"'],
)
@pytest.mark.parametrize("field", ["description", "category"])
def test_a_lone_surrogate_escape_is_not_json(client, alice, field, escaped):
    """No UTF-8 text holds U+D800 to U+DFFF alone (RFC 8259 8.2; I-JSON refuses them)."""
    body = {"description": '"x"', "amount": "1", field: escaped}
    text = "{" + ", ".join(f'"{name}": {value}' for name, value in body.items()) + "}"
    assert_problem(post_text(client, alice, text), 400, "Bad Request", NOT_JSON)


def test_a_pair_of_surrogate_escapes_is_one_character(client, alice):
    response = post_text(client, alice, '{"description": "pizza \\ud83c\\udf55", "amount": 1}')
    assert json_body(response, 201)["description"] == "pizza \U0001f355"


def test_a_byte_order_mark_is_skipped(client, alice):
    response = post_text(client, alice, b'\xef\xbb\xbf{"description": "x", "amount": 12.50}')
    assert json_body(response, 201)["amount"] == Decimal("12.50")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12345678901234567890123", 12345678901234567890123),
        ("-0.0", Decimal("-0.0")),
        ("1e2", Decimal("1E+2")),
        ("0.1", Decimal("0.1")),
        ("1e400", Decimal("1E+400")),
        ('"\\u00e9"', "é"),
    ],
)
def test_numbers_load_exactly(text, value):
    loaded = decode(text.encode())
    assert (loaded, type(loaded)) == (value, type(value))


@pytest.mark.parametrize(
    "text",
    [b"NaN", b"-Infinity", b"[1,]", b"{} x", b'"\x00"', b"1e99999999999999999999", b"1" * 4301],
)
def test_what_is_not_json_is_a_value_error(text):
    with pytest.raises(ValueError):
        decode(text)


def test_nesting_deeper_than_any_stack_is_too_deep():
    with pytest.raises(NestedTooDeeply):
        decode(b"[" * 100_000 + b"]" * 100_000)


def json_texts():
    """JSON texts with names that repeat or not, colons and quotes in strings, odd spacing."""
    space = st.sampled_from(["", " ", "\n", "\t ", "\r\n  "])
    names = st.sampled_from(["a", "b", ":", '"', '":', 'x":', " :", "é", "\\"])
    scalars = st.sampled_from(["1", '":"', '"a\\":b"', '" : "', "null", "1.5", '"\\\\"'])

    def containers(inner):
        array = st.lists(st.tuples(space, inner, space), max_size=4).map(
            lambda items: "[" + ",".join(a + item + b for a, item, b in items) + "]"
        )
        member = st.tuples(space, names.map(json.dumps), space, space, inner)
        an_object = st.lists(member, max_size=4).map(
            lambda members: "{" + ",".join(f"{a}{n}{b}:{c}{v}" for a, n, b, c, v in members) + "}"
        )
        return array | an_object

    return st.recursive(scalars, containers, max_leaves=12)


def without_repeats(pairs):
    if len({name for name, _ in pairs}) < len(pairs):
        raise ValueError("a repeated name")
    return dict(pairs)


@settings(max_examples=2000, deadline=None)
@given(json_texts())
def test_a_text_is_refused_exactly_when_an_object_repeats_a_name(text):
    try:
        expected = json.loads(text, parse_float=Decimal, object_pairs_hook=without_repeats)
    except ValueError:
        with pytest.raises(ValueError):
            decode(text.encode())
    else:
        assert decode(text.encode()) == expected


def test_fingerprints_hash_the_text_they_hashed_before(app, client, alice):
    """An Idempotency-Key kept from before the upgrade still matches its retry."""
    body = {
        "description": "Caf\u00e9 \u2615 \U0001f600\x7f",
        "amount": Decimal("12.50"),
        "category": "Food",
        "date": "2026-01-05",
    }
    headers = {**alice.headers, "Idempotency-Key": "k1"}
    assert client.post("/incomes", json=body, headers=headers).status_code == 201
    with app.app_context():
        kept = db.session.scalar(select(IdempotencyRecord.request_hash))
    # sha256 of simplejson.dumps(["INCOME", body], use_decimal=True, sort_keys=True)
    assert kept == "40aa77f2394b38cc87a1dab69cd4fa81af1041f44b664729c1d59949afed09ff"
    canonical = spaced_ascii(["INCOME", body], sort_keys=True)
    assert canonical == (
        '["INCOME", {"amount": 12.50, "category": "Food", "date": "2026-01-05", '
        '"description": "Caf\\u00e9 \\u2615 \\ud83d\\ude00\\u007f"}]'
    )
    assert hashlib.sha256(canonical.encode()).hexdigest() == kept
