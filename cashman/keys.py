"""Token signing keys: a `kid` in every token header, and the public keys as a JWK Set.

With RS256 or ES256 a gateway can verify tokens at the edge from GET /.well-known/jwks.json
alone. A key's `kid` is its RFC 7638 thumbprint, so every instance derives the same one. During a
rotation the previous public key (JWT_PREVIOUS_PUBLIC_KEY) still verifies and is still published.
"""

import base64
import hashlib
import json
from typing import Any

import jwt as pyjwt
from flask import Flask, current_app
from flask_restful import Resource
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from config import ConfigError

from .extensions import jwt
from .openapi import documented
from .schemas import jwk_set_schema

# The members RFC 7638 hashes, by key type.
THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}


def public_jwk(pem: str, algorithm: str) -> dict[str, Any]:
    """The JWK of a PEM public key, with its thumbprint as `kid`."""
    codec = RSAAlgorithm if algorithm.startswith("RS") else ECAlgorithm
    jwk = codec.to_jwk(codec(codec.SHA256).prepare_key(pem), as_dict=True)
    members = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    return {**jwk, "kid": kid, "alg": algorithm, "use": "sig"}


def init_signing_keys(app: Flask) -> None:
    """Check the key pair and work out the published keys once; HS256 publishes none."""
    config = app.config
    algorithm = config["JWT_ALGORITHM"]
    pems = [pem for pem in (config["JWT_PUBLIC_KEY"], config["JWT_PREVIOUS_PUBLIC_KEY"]) if pem]
    try:
        if config["JWT_PRIVATE_KEY"]:
            probe = pyjwt.encode({"probe": 1}, config["JWT_PRIVATE_KEY"], algorithm=algorithm)
            pyjwt.decode(probe, config["JWT_PUBLIC_KEY"], algorithms=[algorithm])
        keys = [public_jwk(pem, algorithm) for pem in pems]
    except (ValueError, TypeError, pyjwt.PyJWTError) as error:
        raise ConfigError(
            f"the JWT key files are not a matching {algorithm} key pair ({error})"
        ) from None
    app.extensions["cashman.jwks"] = {"keys": keys}
    app.extensions["cashman.verifying_keys"] = {
        key["kid"]: pem for key, pem in zip(keys, pems, strict=True)
    }


@jwt.additional_headers_loader
def _kid_header(identity: Any) -> dict[str, str]:
    keys = current_app.extensions["cashman.jwks"]["keys"]
    return {"kid": keys[0]["kid"]} if keys else {}


@jwt.decode_key_loader
def _verifying_key(header: dict, payload: dict) -> str:
    """The key named by the token's `kid`: the current or the previous public key."""
    if current_app.config["JWT_ALGORITHM"] == "HS256":
        return current_app.config["JWT_SECRET_KEY"]
    keys = current_app.extensions["cashman.verifying_keys"]
    # An unknown kid gets the current key, so the signature check refuses the token.
    return keys.get(header.get("kid"), current_app.config["JWT_PUBLIC_KEY"])


class JWKS(Resource):
    """The public keys that verify Cashman's tokens (RFC 7517); empty with HS256."""

    @documented(returns=jwk_set_schema, auth=None, database=False, tag="auth")
    def get(self):
        """Return the JWK Set: the current signing key, then the previous one during a rotation."""
        return current_app.extensions["cashman.jwks"], 200
