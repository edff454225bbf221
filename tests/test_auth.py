"""Accounts and tokens: register, login, refresh, logout, /auth/me."""

import uuid

import jwt
import pytest
from helpers import (
    PASSWORD,
    add_row,
    assert_invalid_body,
    assert_problem,
    assert_public_id,
    assert_timestamp,
    internal_user_id,
    json_body,
    login,
    register,
)

WRONG_CREDENTIALS = "Wrong username or password."


def test_register_returns_the_account(client):
    response = client.post("/auth/register", json={"username": "Alice.B-1_", "password": PASSWORD})
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    body = response.get_json()
    assert set(body) == {"id", "username", "created_at"}
    assert_public_id(body["id"])
    assert body["username"] == "Alice.B-1_"
    assert_timestamp(body["created_at"])


BAD_CHARACTERS = ["Use only letters, digits, '_', '.' and '-'."]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"username": "al", "password": PASSWORD},
            {"username": ["Length must be between 3 and 64."]},
        ),
        (
            {"username": "a" * 65, "password": PASSWORD},
            {"username": ["Length must be between 3 and 64."]},
        ),
        ({"username": "al ice", "password": PASSWORD}, {"username": BAD_CHARACTERS}),
        ({"username": "alïce", "password": PASSWORD}, {"username": BAD_CHARACTERS}),
        ({"username": "alice\n", "password": PASSWORD}, {"username": BAD_CHARACTERS}),
        (
            {"username": "ali\x00ce", "password": PASSWORD},
            {"username": ["Must not contain the NUL character."]},
        ),
        (
            {"username": "alice", "password": "short"},
            {"password": ["Length must be between 8 and 128."]},
        ),
        (
            {"username": "alice", "password": "x" * 129},
            {"password": ["Length must be between 8 and 128."]},
        ),
        (
            {},
            {
                "username": ["Missing data for required field."],
                "password": ["Missing data for required field."],
            },
        ),
        (
            {"username": 5, "password": None},
            {"username": ["Not a valid string."], "password": ["Field may not be null."]},
        ),
        ({"username": "alice", "password": PASSWORD, "admin": True}, {"admin": ["Unknown field."]}),
    ],
)
def test_register_rejects_invalid_input_naming_every_field(client, body, errors):
    response = client.post("/auth/register", json=body)
    assert_invalid_body(response, errors)


def test_register_accepts_the_length_limits(client):
    register(client, "abc", "p" * 8)
    register(client, "z" * 64, "p" * 128)


def test_login_returns_bearer_tokens(client, app):
    user_id = register(client, "alice")
    body = json_body(login(client, "alice"))
    assert set(body) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "session_id",
        "refresh_expires_in",
    }
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert 30 * 24 * 3600 - 5 <= body["refresh_expires_in"] <= 30 * 24 * 3600
    assert_public_id(body["session_id"])

    secret = app.config["JWT_SECRET_KEY"]
    access = jwt.decode(body["access_token"], secret, algorithms=["HS256"])
    refresh = jwt.decode(body["refresh_token"], secret, algorithms=["HS256"])
    assert access["sub"] == refresh["sub"] == str(user_id)
    assert access["type"] == "access" and refresh["type"] == "refresh"
    assert access["exp"] - access["iat"] == 15 * 60
    assert 30 * 24 * 3600 - 5 <= refresh["exp"] - refresh["iat"] <= 30 * 24 * 3600
    assert access["jti"] != refresh["jti"]
    assert access["sid"] == refresh["sid"] == uuid.UUID(body["session_id"]).hex


def test_login_ignores_the_case_of_the_username(client):
    register(client, "Alice")
    assert json_body(login(client, "aLiCe"))["token_type"] == "Bearer"


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "alice", "password": "wrong password"},
        {"username": "nobody", "password": PASSWORD},
    ],
)
def test_login_answers_the_same_for_unknown_user_and_wrong_password(client, credentials):
    register(client, "alice")
    response = login(client, **credentials)
    assert_problem(response, 401, "Unauthorized", WRONG_CREDENTIALS)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_login_with_a_nul_character_is_422_not_a_database_error(client):
    response = client.post("/auth/login", json={"username": "a\x00", "password": "p\x00"})
    nul = ["Must not contain the NUL character."]
    assert_invalid_body(
        response,
        {"username": nul, "password": nul},
    )


def test_login_requires_both_fields(client):
    response = client.post("/auth/login", json={"username": "alice"})
    assert_invalid_body(
        response,
        {"password": ["Missing data for required field."]},
    )


def test_refresh_issues_a_working_access_token(client, alice):
    response = client.post(
        "/auth/refresh", headers={"Authorization": f"Bearer {alice.refresh_token}"}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["refresh_token"] != alice.refresh_token
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.get_json()["username"] == "alice"


def test_logout_revokes_both_tokens_of_that_login_only(client, alice):
    other_login = json_body(login(client, "alice"))
    other_headers = {"Authorization": f"Bearer {other_login['access_token']}"}

    response = client.post("/auth/logout", headers=alice.headers)
    assert response.status_code == 204
    assert response.get_data() == b""

    for path, token in [("/auth/me", alice.access_token), ("/auth/refresh", alice.refresh_token)]:
        method = client.get if path == "/auth/me" else client.post
        refused = method(path, headers={"Authorization": f"Bearer {token}"})
        assert_problem(refused, 401, "Unauthorized", "The token has been revoked.")
        assert refused.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'

    assert client.get("/auth/me", headers=other_headers).status_code == 200
    refreshed = client.post(
        "/auth/refresh", headers={"Authorization": f"Bearer {other_login['refresh_token']}"}
    )
    assert refreshed.status_code == 200


def test_logout_holds_in_a_new_app_on_the_same_database(client, alice, another_app):
    client.post("/auth/logout", headers=alice.headers)
    restarted = another_app().test_client()
    response = restarted.get("/incomes", headers=alice.headers)
    assert_problem(response, 401, "Unauthorized", "The token has been revoked.")


def test_me_returns_the_account(client, alice):
    response = client.get("/auth/me", headers=alice.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == alice.id and body["username"] == "alice"
    assert_timestamp(body["created_at"])


def test_delete_me_removes_account_rows_and_tokens(client, app, alice, bob):
    from cashman.database import db
    from cashman.models import LoginSession, Transaction, User

    add_row(client, alice, description="Salary", amount=5000)
    add_row(client, bob, description="Gift", amount=10)

    alice_key = internal_user_id(app, alice)
    response = client.delete("/auth/me", headers=alice.headers)
    assert response.status_code == 204
    assert response.get_data() == b""
    with app.app_context():
        for model in (User, LoginSession, Transaction):
            owner = model.id if model is User else model.user_id
            count = db.session.scalar(db.select(db.func.count()).where(owner == alice_key))
            assert count == 0, model
        assert db.session.scalar(db.select(db.func.count()).select_from(Transaction)) == 1

    revoked = "The token has been revoked."
    for token, detail in [
        (alice.access_token, "The token is invalid: Only refresh tokens are allowed."),
        (alice.refresh_token, revoked),
    ]:
        refused = client.post("/auth/refresh", headers={"Authorization": f"Bearer {token}"})
        assert_problem(refused, 401, "Unauthorized", detail)
    assert_problem(client.get("/auth/me", headers=alice.headers), 401, "Unauthorized", revoked)
    assert_problem(login(client, "alice"), 401, "Unauthorized", WRONG_CREDENTIALS)
    # The name is free again, and the new account starts empty.
    register(client, "alice")
    fresh = json_body(login(client, "alice"))
    listed = client.get("/incomes", headers={"Authorization": f"Bearer {fresh['access_token']}"})
    assert listed.get_json() == []
    assert [
        row["description"] for row in client.get("/incomes", headers=bob.headers).get_json()
    ] == ["Gift"]


def test_a_new_login_forgets_the_users_expired_logins(client, app, alice, bob):
    from datetime import UTC, datetime, timedelta

    from cashman.database import db
    from cashman.models import LoginSession

    past = datetime.now(UTC) - timedelta(days=1)
    owners = (internal_user_id(app, alice), internal_user_id(app, bob))
    with app.app_context():
        for owner, session_id in zip(owners, ("a" * 32, "b" * 32), strict=True):
            db.session.add(LoginSession(id=session_id, user_id=owner, expires_at=past))
        db.session.commit()

    json_body(login(client, "alice"))
    with app.app_context():
        remaining = set(db.session.scalars(db.select(LoginSession.id)))
    assert "a" * 32 not in remaining
    assert "b" * 32 in remaining  # another user's logins are not touched
    assert len(remaining) == 4  # alice's two live logins, bob's live and expired ones


def test_login_upgrades_a_hash_made_at_another_cost(client, app):
    from argon2 import PasswordHasher

    from cashman.database import db
    from cashman.models import User

    old_hash = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash(PASSWORD)
    with app.app_context():
        db.session.add(User(username="legacy", password_hash=old_hash))
        db.session.commit()

    json_body(login(client, "legacy"))
    with app.app_context():
        new_hash = db.session.scalar(db.select(User.password_hash))
    assert new_hash != old_hash
    assert "$m=1024,t=1,p=1$" in new_hash  # the testing cost
    assert json_body(login(client, "legacy"))["token_type"] == "Bearer"
