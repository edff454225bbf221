"""Tokens already verified are remembered (cashman.token_cache): the expiry is still checked on
every use and the revocation still read, per app. TESTING off: the production token paths."""

import pytest
from helpers import assert_problem, json_body, make_app

from cashman import token_cache

EXPIRED = "The token has expired."
REVOKED = "The token has been revoked."


@pytest.fixture
def account(prod_client, make_account):
    return make_account(prod_client, "alice")


def remembered(app) -> dict:
    return app.extensions.get(token_cache.CACHE, {})


def test_a_verified_token_is_remembered_by_the_whole_token(prod_app, prod_client, account):
    json_body(prod_client.get("/incomes", headers=account.headers))
    assert [key[0] for key in remembered(prod_app)] == [account.access_token]
    json_body(prod_client.get("/incomes", headers=account.headers))
    assert len(remembered(prod_app)) == 1


def test_a_remembered_token_past_its_expiry_is_refused(prod_app, prod_client, account, monkeypatch):
    json_body(prod_client.get("/incomes", headers=account.headers))
    (claims,) = remembered(prod_app).values()
    monkeypatch.setattr(token_cache.time, "time", lambda: claims["exp"])
    response = prod_client.get("/incomes", headers=account.headers)
    assert_problem(response, 401, "Unauthorized", EXPIRED)
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert remembered(prod_app) == {}


def test_a_remembered_token_of_a_revoked_session_is_refused(prod_client, account):
    json_body(prod_client.get("/incomes", headers=account.headers))
    assert prod_client.post("/auth/logout", headers=account.headers).status_code == 204
    response = prod_client.get("/incomes", headers=account.headers)
    assert_problem(response, 401, "Unauthorized", REVOKED)


def test_a_token_remembered_by_one_app_is_verified_again_by_another(
    prod_app, prod_client, account, migrated_url
):
    json_body(prod_client.get("/incomes", headers=account.headers))
    other = make_app(migrated_url, "another secret of at least thirty-two bytes", testing=False)
    response = other.test_client().get("/incomes", headers=account.headers)
    assert_problem(
        response, 401, "Unauthorized", "The token is invalid: Signature verification failed."
    )


def test_at_most_max_tokens_are_remembered_the_oldest_forgotten(
    prod_app, prod_client, make_account, monkeypatch
):
    monkeypatch.setattr(token_cache, "MAX_TOKENS", 2)
    accounts = [make_account(prod_client, name) for name in ("ann", "ben", "cid")]
    for account in accounts:
        json_body(prod_client.get("/incomes", headers=account.headers))
    assert [key[0] for key in remembered(prod_app)] == [a.access_token for a in accounts[1:]]
    json_body(prod_client.get("/incomes", headers=accounts[0].headers))  # verified again


def test_a_verified_tokens_header_is_read_once(prod_client, account):
    token_cache._header_of.cache_clear()
    for _ in range(3):
        json_body(prod_client.get("/incomes", headers=account.headers))
    info = token_cache._header_of.cache_info()
    assert (info.misses, info.hits, info.currsize) == (1, 2, 1)


def test_an_invalid_tokens_header_is_never_remembered(prod_client, account):
    token_cache._header_of.cache_clear()
    forged = account.access_token[:-4] + ("AAAA" if account.access_token[-4:] != "AAAA" else "BBBB")
    response = prod_client.get("/incomes", headers={"Authorization": f"Bearer {forged}"})
    assert_problem(
        response, 401, "Unauthorized", "The token is invalid: Signature verification failed."
    )
    assert token_cache._header_of.cache_info().currsize == 0
