"""Signing keys: RS256/ES256 with a kid, the JWK Set a gateway verifies with, rotation, iss/aud."""

import base64
import hashlib
import hmac
import json
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from helpers import add_row, assert_problem, json_body, login

from config import ConfigError, ProductionConfig


def base64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def key_files(tmp_path, name: str, algorithm: str) -> dict[str, str]:
    """A new key pair as PEM files; returns the settings that name them."""
    if algorithm == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        private = ec.generate_private_key(ec.SECP256R1())
    private_path, public_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.pub.pem"
    private_path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public_path.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return {"JWT_PRIVATE_KEY_FILE": str(private_path), "JWT_PUBLIC_KEY_FILE": str(public_path)}


@pytest.fixture
def keyed_app(another_app):
    """Build apps signing with a key pair; their tables are emptied and pools closed after."""

    def build(algorithm: str, **environ: str):
        return another_app(environ={"JWT_ALGORITHM": algorithm, **environ})

    return build


def verify_like_a_gateway(client, token: str, **expected) -> dict:
    """What an API gateway does: fetch the JWK Set, pick the key by kid, verify; nothing else."""
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    key_set = jwt.PyJWKSet.from_dict(response.get_json())
    header = jwt.get_unverified_header(token)
    key = key_set[header["kid"]]
    return jwt.decode(token, key.key, algorithms=[key.algorithm_name], **expected)


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_a_gateway_verifies_tokens_from_the_published_jwks_alone(
    keyed_app, make_account, tmp_path, algorithm
):
    app = keyed_app(algorithm, **key_files(tmp_path, "current", algorithm))
    client = app.test_client()
    token = make_account(client, "gina").access_token

    claims = verify_like_a_gateway(client, token)
    assert claims["type"] == "access"
    assert jwt.get_unverified_header(token)["alg"] == algorithm
    keys = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kid"] == jwt.get_unverified_header(token)["kid"]
    assert (keys[0]["alg"], keys[0]["use"]) == (algorithm, "sig")
    assert "key_ops" not in keys[0]  # RFC 7517 4.3: not both `use` and `key_ops`
    assert "d" not in keys[0]  # never the private part
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_a_rotated_key_still_verifies_and_is_published_until_removed(
    keyed_app, make_account, tmp_path, algorithm
):
    old = key_files(tmp_path, "old", algorithm)
    new = key_files(tmp_path, "new", algorithm)
    before = keyed_app(algorithm, **old).test_client()
    old_token = make_account(before, "gina").access_token

    during = keyed_app(
        algorithm, **new, JWT_PREVIOUS_PUBLIC_KEY_FILE=old["JWT_PUBLIC_KEY_FILE"]
    ).test_client()
    new_token = json_body(login(during, "gina"))["access_token"]
    kids = [key["kid"] for key in during.get("/.well-known/jwks.json").get_json()["keys"]]
    assert kids == [jwt.get_unverified_header(t)["kid"] for t in (new_token, old_token)]
    for token in (old_token, new_token):
        verify_like_a_gateway(during, token)
        response = during.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200

    after = keyed_app(algorithm, **new).test_client()
    response = after.get("/auth/me", headers={"Authorization": f"Bearer {old_token}"})
    assert_problem(
        response, 401, "Unauthorized", "The token is invalid: Signature verification failed."
    )
    assert len(after.get("/.well-known/jwks.json").get_json()["keys"]) == 1


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_the_next_key_is_published_before_anything_is_signed_with_it(
    keyed_app, make_account, tmp_path, algorithm
):
    """Publish next, wait a cache lifetime, switch, keep the old one as previous: at every
    step a gateway holding the JWKS of the step before verifies every token it can meet."""
    old = key_files(tmp_path, "old", algorithm)
    new = key_files(tmp_path, "new", algorithm)
    publish = keyed_app(
        algorithm, **old, JWT_NEXT_PUBLIC_KEY_FILE=new["JWT_PUBLIC_KEY_FILE"], JWKS_MAX_AGE="60"
    ).test_client()
    answer = publish.get("/.well-known/jwks.json")
    assert answer.headers["Cache-Control"] == "public, max-age=60"
    published = jwt.PyJWKSet.from_dict(answer.get_json())
    old_kid, new_kid = (key.key_id for key in published.keys)
    old_token = make_account(publish, "gina").access_token
    assert jwt.get_unverified_header(old_token)["kid"] == old_kid  # still signed with the old

    switched = keyed_app(
        algorithm, **new, JWT_PREVIOUS_PUBLIC_KEY_FILE=old["JWT_PUBLIC_KEY_FILE"]
    ).test_client()
    new_token = json_body(login(switched, "gina"))["access_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    for token in (old_token, new_token):  # a gateway that cached the JWKS before the switch
        kid = jwt.get_unverified_header(token)["kid"]
        key = next(key for key in published.keys if key.key_id == kid)
        jwt.decode(token, key.key, algorithms=[algorithm], options={"verify_aud": False})
        for client in (publish, switched):  # and instances on either side of the switch
            response = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200
    kids = [key["kid"] for key in switched.get("/.well-known/jwks.json").get_json()["keys"]]
    assert kids == [new_kid, old_kid]


def test_the_jwks_is_cacheable_for_jwks_max_age(keyed_app, tmp_path):
    client = keyed_app("ES256", **key_files(tmp_path, "k", "ES256")).test_client()
    assert client.get("/.well-known/jwks.json").headers["Cache-Control"] == "public, max-age=300"


def test_issuer_and_audience_are_set_and_enforced(keyed_app, make_account, tmp_path):
    keys = key_files(tmp_path, "k", "RS256")
    app = keyed_app(
        "RS256",
        **keys,
        JWT_ISSUER="https://cashman.example",
        JWT_AUDIENCE="cashman-api",
    )
    client = app.test_client()
    token = make_account(client, "gina").access_token
    claims = verify_like_a_gateway(
        client, token, issuer="https://cashman.example", audience="cashman-api"
    )
    assert (claims["iss"], claims["aud"]) == ("https://cashman.example", "cashman-api")

    elsewhere = keyed_app("RS256", **keys, JWT_AUDIENCE="another-api").test_client()
    response = elsewhere.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401, "Unauthorized", "The token is invalid: Audience doesn't match.")


def test_hs256_under_rs256_is_refused_even_signed_with_the_public_key(
    keyed_app, make_account, tmp_path
):
    """Algorithm confusion: the public key used as an HMAC secret must not pass."""
    keys = key_files(tmp_path, "k", "RS256")
    app = keyed_app("RS256", **keys)
    client = app.test_client()
    token = make_account(client, "gina").access_token
    header = {**jwt.get_unverified_header(token), "alg": "HS256"}
    claims = jwt.decode(token, options={"verify_signature": False})
    signing_input = b".".join(base64url(json.dumps(part).encode()) for part in (header, claims))
    public_pem = Path(keys["JWT_PUBLIC_KEY_FILE"]).read_bytes()
    signature = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    forged = (signing_input + b"." + base64url(signature)).decode()
    response = client.get("/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert_problem(
        response,
        401,
        "Unauthorized",
        "The token is invalid: The specified alg value is not allowed.",
    )


def test_hs256_publishes_no_keys(client):
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.get_json() == {"keys": []}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"JWT_ALGORITHM": "none"}, "JWT_ALGORITHM must be one of HS256, RS256, ES256"),
        (
            {"JWT_ALGORITHM": "RS256"},
            "JWT_PRIVATE_KEY_FILE must name a PEM file when JWT_ALGORITHM is not HS256",
        ),
        (
            {"JWT_ALGORITHM": "RS256", "JWT_PRIVATE_KEY_FILE": "/nonexistent.pem"},
            "JWT_PRIVATE_KEY_FILE: cannot read '/nonexistent.pem': No such file or directory",
        ),
    ],
)
def test_bad_key_settings_stop_the_start(environ, message):
    with pytest.raises(ConfigError) as raised:
        ProductionConfig(environ)
    assert str(raised.value) == f"cashman: configuration error: {message}"


def test_a_mismatched_key_pair_stops_the_start(keyed_app, tmp_path):
    first, second = key_files(tmp_path, "a", "RS256"), key_files(tmp_path, "b", "RS256")
    with pytest.raises(ConfigError) as raised:
        keyed_app(
            "RS256",
            JWT_PRIVATE_KEY_FILE=first["JWT_PRIVATE_KEY_FILE"],
            JWT_PUBLIC_KEY_FILE=second["JWT_PUBLIC_KEY_FILE"],
        )
    assert "the JWT key files are not a matching RS256 key pair" in str(raised.value)


def test_production_with_rs256_needs_no_shared_secret(tmp_path):
    config = ProductionConfig({"JWT_ALGORITHM": "ES256", **key_files(tmp_path, "k", "ES256")})
    assert config.JWT_DECODE_ALGORITHMS == ["ES256"]


def test_cursors_under_rs256_are_signed_with_a_key_derived_from_the_private_key(
    keyed_app, make_account, tmp_path
):
    keys = key_files(tmp_path, "k", "RS256")
    client = keyed_app("RS256", **keys).test_client()
    gina = make_account(client, "gina")
    for day in ("2026-11-01", "2026-11-02"):
        add_row(client, gina, description="pay", amount="1.00", date=day)
    first = client.get("/incomes?limit=1", headers=gina.headers)
    assert "Set-Cookie" not in first.headers  # no Flask session is ever opened
    link = first.headers["Link"].removeprefix("<").split(">")[0]
    second = client.get(link, headers=gina.headers)
    assert second.status_code == 200
    assert [row["date"] for row in second.get_json()] == ["2026-11-01"]
    # Another key pair signs other cursors: this one means nothing to it.
    other_keys = key_files(tmp_path, "other", "RS256")
    other = keyed_app("RS256", **other_keys).test_client()
    other_token = json_body(login(other, "gina"))["access_token"]
    refused = other.get(link, headers={"Authorization": f"Bearer {other_token}"})
    assert_problem(
        refused,
        400,
        "Bad Request",
        "The query has invalid parameters.",
        {"cursor": ["Not a valid cursor: use the one from the Link header."]},
    )
