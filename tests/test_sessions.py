"""Sessions and devices, refresh rotation with reuse detection, password changes.

Token paths run with TESTING off (prod_client): errors take the production path.
"""

import logging
import uuid
from datetime import timedelta

import pytest
from helpers import (
    NOT_FOUND,
    PASSWORD,
    SOME_ID,
    assert_invalid_body,
    assert_problem,
    assert_timestamp,
    json_body,
    login,
    register,
)

REVOKED = "The token has been revoked."
REUSED = "The refresh token was already used: the session is revoked."


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(client, username="alice", **body) -> dict:
    payload = {"username": username, "password": PASSWORD, **body}
    return json_body(client.post("/auth/login", json=payload, headers={"User-Agent": "Phone/1.0"}))


def refresh(client, refresh_token: str):
    return client.post("/auth/refresh", headers=bearer(refresh_token))


@pytest.fixture
def alice_signed_up(prod_client):
    register(prod_client, "alice")
    return prod_client


def test_a_session_is_named_by_its_device_or_the_user_agent(alice_signed_up):
    client = alice_signed_up
    phone = sign_in(client)
    tablet = sign_in(client, device="  Tablet  ")
    anonymous = json_body(login(client, "alice", **{"User-Agent": ""}))
    sessions = json_body(client.get("/auth/sessions", headers=bearer(tablet["access_token"])))
    assert [session["id"] for session in sessions] == [
        anonymous["session_id"],
        tablet["session_id"],
        phone["session_id"],
    ]
    assert [(s["device"], s["current"]) for s in sessions] == [
        ("unknown", False),
        ("Tablet", True),
        ("Phone/1.0", False),
    ]
    for session in sessions:
        assert set(session) == {"id", "device", "created_at", "last_active_at", "current"}
        assert_timestamp(session["created_at"])
        assert session["last_active_at"] == session["created_at"]


def test_a_long_user_agent_is_cut_and_a_long_device_refused(alice_signed_up):
    client = alice_signed_up
    tokens = json_body(login(client, "alice", **{"User-Agent": "x" * 300}))
    sessions = json_body(client.get("/auth/sessions", headers=bearer(tokens["access_token"])))
    assert sessions[0]["device"] == "x" * 100
    body = {"username": "alice", "password": PASSWORD, "device": "d" * 101}
    response = client.post("/auth/login", json=body)
    assert_invalid_body(response, {"device": ["Length must be between 1 and 100."]})


def test_a_refresh_marks_the_session_active_and_reorders_the_list(alice_signed_up):
    client = alice_signed_up
    first, second = sign_in(client), sign_in(client)
    assert refresh(client, first["refresh_token"]).status_code == 200
    sessions = json_body(client.get("/auth/sessions", headers=bearer(second["access_token"])))
    assert [session["id"] for session in sessions] == [first["session_id"], second["session_id"]]
    assert sessions[0]["last_active_at"] > sessions[0]["created_at"]


def test_signing_a_session_out_refuses_its_tokens_at_once(alice_signed_up):
    client = alice_signed_up
    lost, kept = sign_in(client), sign_in(client)
    url = f"/auth/sessions/{lost['session_id']}"
    assert client.delete(url, headers=bearer(kept["access_token"])).status_code == 204
    for response in (
        client.get("/incomes", headers=bearer(lost["access_token"])),
        refresh(client, lost["refresh_token"]),
    ):
        assert_problem(response, 401, "Unauthorized", REVOKED)
    assert client.get("/incomes", headers=bearer(kept["access_token"])).status_code == 200
    assert_problem(
        client.delete(url, headers=bearer(kept["access_token"])), 404, "Not Found", NOT_FOUND
    )


def test_another_users_or_an_unknown_session_is_a_404(alice_signed_up):
    client = alice_signed_up
    register(client, "bob")
    alice, bob = sign_in(client), sign_in(client, "bob")
    for session_id in (bob["session_id"], SOME_ID, "not-a-uuid"):
        response = client.delete(
            f"/auth/sessions/{session_id}", headers=bearer(alice["access_token"])
        )
        assert_problem(response, 404, "Not Found", NOT_FOUND)
    assert client.get("/incomes", headers=bearer(bob["access_token"])).status_code == 200


def test_signing_out_every_other_session(alice_signed_up):
    client = alice_signed_up
    others = [sign_in(client) for _ in range(3)]
    current = sign_in(client)
    response = client.delete("/auth/sessions", headers=bearer(current["access_token"]))
    assert (response.status_code, response.get_data()) == (204, b"")
    for other in others:
        assert_problem(
            client.get("/incomes", headers=bearer(other["access_token"])),
            401,
            "Unauthorized",
            REVOKED,
        )
    sessions = json_body(client.get("/auth/sessions", headers=bearer(current["access_token"])))
    assert [(s["id"], s["current"]) for s in sessions] == [(current["session_id"], True)]


def test_each_refresh_spends_its_token_and_gives_the_next(alice_signed_up):
    client = alice_signed_up
    tokens = sign_in(client)
    seen = {tokens["refresh_token"]}
    for _ in range(3):
        tokens = json_body(refresh(client, tokens["refresh_token"]))
        assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
        assert tokens["refresh_token"] not in seen
        seen.add(tokens["refresh_token"])
        assert client.get("/incomes", headers=bearer(tokens["access_token"])).status_code == 200


def test_a_refresh_retried_within_the_grace_window_gets_the_live_pair(alice_signed_up):
    client = alice_signed_up
    first = sign_in(client)
    lost = json_body(refresh(client, first["refresh_token"]))  # the phone never saw this answer
    retried = json_body(refresh(client, first["refresh_token"]))
    for pair in (lost, retried):  # both are the live session's: either may be used next
        assert client.get("/incomes", headers=bearer(pair["access_token"])).status_code == 200
    assert json_body(refresh(client, lost["refresh_token"]))["access_token"]


def test_a_refresh_token_reused_after_the_window_revokes_the_whole_session(
    alice_signed_up, prod_app, caplog
):
    client = alice_signed_up
    prod_app.config["REFRESH_REUSE_GRACE_SECONDS"] = timedelta(0)
    stolen = sign_in(client)
    other = sign_in(client)
    fresh = json_body(refresh(client, stolen["refresh_token"]))
    with caplog.at_level(logging.WARNING, logger="cashman.tokens"):
        reused = refresh(client, stolen["refresh_token"])
    assert_problem(reused, 401, "Unauthorized", REUSED)
    assert reused.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    for response in (
        refresh(client, fresh["refresh_token"]),
        client.get("/incomes", headers=bearer(fresh["access_token"])),
        client.get("/incomes", headers=bearer(stolen["access_token"])),
    ):
        assert_problem(response, 401, "Unauthorized", REVOKED)
    assert client.get("/incomes", headers=bearer(other["access_token"])).status_code == 200
    warnings = [
        record.getMessage() for record in caplog.records if record.levelno == logging.WARNING
    ]
    assert warnings == [f"refresh token reused: session {stolen['session_id']} revoked"]
    assert stolen["refresh_token"] not in caplog.text


def test_a_token_two_rotations_old_is_a_reuse_even_within_the_window(alice_signed_up):
    client = alice_signed_up
    first = sign_in(client)
    second = json_body(refresh(client, first["refresh_token"]))
    json_body(refresh(client, second["refresh_token"]))
    assert_problem(refresh(client, first["refresh_token"]), 401, "Unauthorized", REUSED)


def test_changing_the_password_signs_out_every_other_session(alice_signed_up):
    client = alice_signed_up
    other, current = sign_in(client), sign_in(client)
    body = {"current_password": PASSWORD, "new_password": "a new passphrase"}
    response = client.post("/auth/password", json=body, headers=bearer(current["access_token"]))
    assert (response.status_code, response.get_data()) == (204, b"")
    assert_problem(
        client.get("/incomes", headers=bearer(other["access_token"])), 401, "Unauthorized", REVOKED
    )
    assert client.get("/incomes", headers=bearer(current["access_token"])).status_code == 200
    assert login(client, "alice").status_code == 401
    assert login(client, "alice", "a new passphrase").status_code == 200


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"current_password": "wrong one!", "new_password": "a new passphrase"},
            {"current_password": ["Wrong password."]},
        ),
        (
            {"current_password": PASSWORD, "new_password": "short"},
            {"new_password": ["Length must be between 8 and 128."]},
        ),
        (
            {"current_password": PASSWORD, "new_password": "p" * 129},
            {"new_password": ["Length must be between 8 and 128."]},
        ),
        (
            {"new_password": "a new passphrase"},
            {"current_password": ["Missing data for required field."]},
        ),
    ],
)
def test_a_refused_password_change_is_a_422_and_changes_nothing(alice_signed_up, body, errors):
    client = alice_signed_up
    other, current = sign_in(client), sign_in(client)
    response = client.post("/auth/password", json=body, headers=bearer(current["access_token"]))
    assert_invalid_body(response, errors)
    assert client.get("/incomes", headers=bearer(other["access_token"])).status_code == 200
    assert login(client, "alice").status_code == 200


def test_failed_password_changes_are_rate_limited_like_logins(alice_signed_up, prod_app):
    client = alice_signed_up
    prod_app.config["RATE_LIMIT_LOGIN_USERNAME"] = "2 per minute"
    current = sign_in(client)
    body = {"current_password": "wrong one!", "new_password": "a new passphrase"}
    statuses = [
        client.post(
            "/auth/password", json=body, headers=bearer(current["access_token"])
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [422, 422, 429]


def test_session_ids_are_uuids_and_tokens_name_them(alice_signed_up):
    tokens = sign_in(alice_signed_up)
    assert str(uuid.UUID(tokens["session_id"])) == tokens["session_id"]
