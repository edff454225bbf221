"""Unbound extensions, initialised by the app factory."""

from pathlib import Path

from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


# Rows stay readable after commit: a response is dumped from the row just written.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
jwt = JWTManager()
migrate = Migrate(directory=str(Path(__file__).parent / "migrations"))
