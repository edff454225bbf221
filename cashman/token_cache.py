"""Tokens already verified, remembered by the whole token string: a request with a token seen
before skips the signature check (most of a token check's time), never the expiry check, and
never the revocation read, which flask-jwt-extended runs after decoding either way.

Only tokens that passed flask-jwt-extended's own verification are remembered, per app (each has
its own keys), at most MAX_TOKENS of them, the oldest forgotten first.
"""

import time
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_jwt_extended import JWTManager
from flask_jwt_extended.config import config
from jwt import ExpiredSignatureError, get_unverified_header

MAX_TOKENS = 2_000  # about 2 KB each: a few MB per worker at most
CACHE = "cashman.verified_tokens"


class RememberingJWTManager(JWTManager):
    """flask-jwt-extended's manager, remembering the claims of the tokens it verified.

    It overrides the manager's `_decode_jwt_from_config` (flask-jwt-extended 4.7.4, pinned; a
    test fails if the library stops calling it).
    """

    def _decode_jwt_from_config(
        self, encoded_token: str, csrf_value: Any = None, allow_expired: bool = False
    ) -> dict:
        if allow_expired:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        remembered = current_app.extensions.setdefault(CACHE, {})
        key = (encoded_token, csrf_value)
        claims = remembered.get(key)
        if claims is None:
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


def _seconds(leeway: int | float | timedelta) -> float:
    return leeway.total_seconds() if isinstance(leeway, timedelta) else leeway
