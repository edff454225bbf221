"""Liveness and readiness probes for load balancers and orchestrators."""

from flask_restful import Resource
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .errors import problem
from .extensions import db
from .i18n import _
from .openapi import documented
from .schemas import health_schema


class Health(Resource):
    """Liveness: answers while the process runs."""

    @documented(returns=health_schema, auth=None, database=False, tag="operations")
    def get(self):
        """Say the process is up, without touching the database."""
        return {"status": "ok"}, 200


class Ready(Resource):
    """Readiness: answers 200 only while the database does."""

    @documented(returns=health_schema, auth=None, tag="operations")
    def get(self):
        """Say whether the database answers."""
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            db.session.rollback()
            detail = _("The database is not answering.")
            return problem(503, detail, headers={"Retry-After": "5"})
        return {"status": "ok"}, 200
