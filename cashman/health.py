"""Liveness and readiness probes for load balancers and orchestrators."""

from flask_restful import Resource
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .errors import problem
from .extensions import db


class Health(Resource):
    def get(self):
        """Say the process is up, without touching the database."""
        return {"status": "ok"}, 200


class Ready(Resource):
    def get(self):
        """Say whether the database answers."""
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            db.session.rollback()
            return problem(503, "The database is not answering.", headers={"Retry-After": "5"})
        return {"status": "ok"}, 200
