"""Liveness without the database; readiness and every route answer 503 when it is gone."""

import time

import jwt
import pytest
from helpers import assert_problem, login, make_app

UNREACHABLE = [
    "postgresql+psycopg://postgres@127.0.0.1:1/cashman?connect_timeout=2",
    "sqlite:////nonexistent-directory/cashman.db",
]
DOWN = "The database is unavailable; try again shortly."


def test_health_is_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json() == {"status": "ok"}


def test_ready_is_ok_when_the_database_answers(client):
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


@pytest.fixture(params=UNREACHABLE, ids=["postgresql", "sqlite"])
def down_client(request, secret):
    app = make_app(request.param, secret, testing=False)
    yield app.test_client()
    with app.app_context():
        from cashman.database import db

        db.engine.dispose()


def test_health_does_not_touch_the_database(down_client):
    response = down_client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ready_is_503_when_the_database_is_gone(down_client):
    response = down_client.get("/health/ready")
    assert_problem(response, 503, "Service Unavailable", "The database is not answering.")
    assert response.headers["Retry-After"] == "5"


def test_api_routes_are_503_when_the_database_is_gone(down_client, secret):
    now = int(time.time())  # a token this server could have issued (others are refused first)
    token = jwt.encode(
        {
            "sub": "1",
            "sid": "x",
            "type": "access",
            "jti": "j",
            "iat": now,
            "nbf": now,
            "exp": now + 600,
        },
        secret,
        algorithm="HS256",
    )
    response = down_client.get("/incomes", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 503, "Service Unavailable", DOWN)
    assert_problem(login(down_client, "alice"), 503, "Service Unavailable", DOWN)
