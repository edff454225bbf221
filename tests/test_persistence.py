"""Data lives in the database: it survives a restart, and the schema comes from migrations."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import login

from cashman.extensions import db


def test_rows_and_accounts_survive_an_app_restart(client, alice, another_app):
    created = client.post(
        "/incomes", json={"description": "Salary", "amount": "5000.01"}, headers=alice.headers
    ).get_json()

    restarted = another_app().test_client()
    assert restarted.get("/incomes", headers=alice.headers).get_json() == [created]
    tokens = login(restarted, "alice")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert restarted.get(f"/incomes/{created['id']}", headers=headers).get_json() == created


def test_migrations_build_exactly_the_models_schema(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_usernames_are_unique_whatever_their_case_in_the_database(app):
    from sqlalchemy.exc import IntegrityError

    from cashman.models import User

    with app.app_context():
        db.session.add(User(username="Carol", password_hash="x"))
        db.session.commit()
        db.session.add(User(username="cAROL", password_hash="x"))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
        else:
            raise AssertionError("the lower(username) unique index is missing")
