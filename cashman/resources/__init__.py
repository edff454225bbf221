"""Resources: thin HTTP handlers that parse with a schema, call a store and dump with a schema.

Every resource needs a bearer access token unless it declares itself public; that one
declaration gives the token check, the per-user rate limit, the OpenAPI `security`, and
`Cache-Control: no-store` (cashman.api), and the tests derive the list of protected routes
from it.
"""

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import flask_restful
from flask_jwt_extended import jwt_required

from ..limits import api_by_user
from ..tokens import current_user_id

Store = TypeVar("Store")


class Resource(flask_restful.Resource):
    """A resource, protected by default.

    public: anyone may call it, with no token and no per-user limit.
    token: the token a protected resource takes ("access", or "refresh" for /auth/refresh).
    rate_limits: limits of its own, checked before anything else (decorators, innermost first).
    """

    public: ClassVar[bool] = False
    token: ClassVar[str] = "access"
    rate_limits: ClassVar[tuple[Callable, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The last decorator is the outermost: the token is verified first, then the request
        # counts against its user's budget.
        guard = () if cls.public else (api_by_user, jwt_required(refresh=cls.token == "refresh"))
        cls.method_decorators = [*guard, *cls.rate_limits]


def required_token(view: Callable | type) -> str | None:
    """The token a view (or resource class) needs: "access", "refresh", or None if public.

    A plain view function (Swagger UI's) is public when it is marked `public = True`.
    """
    declared = getattr(view, "view_class", view)
    return None if getattr(declared, "public", False) else getattr(declared, "token", "access")


def caller_store(store: Callable[[int], Store]) -> Store:
    """`store` bound to the user authenticated by this request's access token: the one way a
    resource reaches the caller's data (`caller_store(TransactionStore).page(...)`)."""
    return store(current_user_id())
