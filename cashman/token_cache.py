"""Tokens already verified, remembered by the whole token string: a request with a token seen
before skips the signature check (most of a token check's time), never the expiry check, and
never the revocation read, which flask-jwt-extended runs after decoding either way.

Only tokens that passed flask-jwt-extended's own verification are remembered, per app (each has
its own keys), at most MAX_TOKENS of them, the oldest forgotten first.

flask-jwt-extended also reads the token's header again after decoding it, on every request, to
hand it to the callbacks; PyJWT's parse checks each of its characters. A header depends on the
token string alone, so it is remembered too (`remembered_header`), for as many tokens.
"""

import functools
import time
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from flask_jwt_extended import JWTManager, view_decorators
from flask_jwt_extended.config import config
from flask_jwt_extended.utils import get_unverified_jwt_headers
from jwt import ExpiredSignatureError, get_unverified_header

from .refusals import TooFewSegments

MAX_TOKENS = 2_000  # about 2 KB each: a few MB per worker at most
CACHE = "cashman.verified_tokens"


class RememberingJWTManager(JWTManager):
    """flask-jwt-extended's manager, remembering the claims of the tokens it verified.

    It overrides the manager's `_decode_jwt_from_config`, and has `view_decorators` read headers
    through `remembered_header` (flask-jwt-extended 4.7.4, pinned; tests fail if the library
    stops calling either).
    """

    def init_app(self, app: Flask, add_context_processor: bool = False) -> None:
        super().init_app(app, add_context_processor)
        view_decorators.get_unverified_jwt_headers = remembered_header

    def _decode_jwt_from_config(
        self, encoded_token: str, csrf_value: Any = None, allow_expired: bool = False
    ) -> dict:
        if allow_expired:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        remembered = current_app.extensions.setdefault(CACHE, {})
        key = (encoded_token, csrf_value)
        claims = remembered.get(key)
        if claims is None:
            if encoded_token.count(".") < 2:  # where PyJWT says "Not enough segments"
                raise TooFewSegments("Not enough segments")
            claims = super()._decode_jwt_from_config(encoded_token, csrf_value)
            if len(remembered) >= MAX_TOKENS:
                del remembered[next(iter(remembered))]
            remembered[key] = claims
        elif claims["exp"] + _seconds(config.leeway) <= time.time():
            del remembered[key]
            expired = ExpiredSignatureError("Signature has expired")
            expired.jwt_header = get_unverified_header(encoded_token)
            expired.jwt_data = dict(claims)
            raise expired
        return dict(claims)


@functools.lru_cache(maxsize=MAX_TOKENS)
def _header_of(encoded_token: str) -> dict:
    return get_unverified_jwt_headers(encoded_token)


def remembered_header(encoded_token: str) -> dict:
    """The token's header (a copy: callbacks may keep it); flask-jwt-extended asks for it only
    after the token was decoded and verified, so only verified tokens are remembered."""
    return dict(_header_of(encoded_token))


def _seconds(leeway: int | float | timedelta) -> float:
    return leeway.total_seconds() if isinstance(leeway, timedelta) else leeway
