"""Liveness and readiness probes for load balancers and orchestrators, and the API's own
OpenAPI document."""

from flask import current_app, request

from ..errors import problem
from ..i18n import _
from ..openapi.operation import documented
from ..schemas.responses import health_schema
from ..stores import database_answers
from . import Resource


class Health(Resource):
    """Liveness: answers while the process runs."""

    public = True

    @documented(returns=health_schema, database=False, tag="operations")
    def get(self):
        """Say the process is up, without touching the database."""
        return {"status": "ok"}, 200


class Ready(Resource):
    """Readiness: answers 200 only while the database does."""

    public = True

    @documented(returns=health_schema, tag="operations")
    def get(self):
        """Say whether the database answers."""
        if not database_answers():
            detail = _("The database is not answering.")
            return problem(503, detail, headers={"Retry-After": "5"})
        return {"status": "ok"}, 200


class OpenAPIDocument(Resource):
    """The OpenAPI 3.1 document of this API (built once, at start-up), with the path it is
    served at as its server (a gateway's prefix, or URL_PREFIX), so clients call the API there."""

    public = True

    def get(self):
        """Return the OpenAPI document."""
        servers = [{"url": request.script_root or "/"}]
        return {**current_app.extensions["openapi"], "servers": servers}, 200
