"""Token signing keys: each public key as a JWK whose `kid` is its RFC 7638 thumbprint.

With RS256 or ES256 a gateway can verify tokens at the edge from GET /.well-known/jwks.json
alone. Every instance derives the same `kid`. A rotation publishes the next public key
(JWT_NEXT_PUBLIC_KEY) before anything is signed with it, so gateways hold it by the time they
meet its first token; after the switch the previous key (JWT_PREVIOUS_PUBLIC_KEY) still
verifies and is still published. Every published key verifies: an instance not yet switched
accepts a token that one already switched has signed.
"""

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt as pyjwt
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from config import ConfigError

from .json_provider import encode

# The members RFC 7638 hashes, by key type.
THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}


@dataclass(frozen=True)
class SigningKeys:
    """The published JWK Set and, by `kid`, the PEM public key that verifies each token."""

    jwks: dict[str, list[dict[str, Any]]]
    verifying: dict[str, str]

    @property
    def current_kid(self) -> str | None:
        """The `kid` of the key new tokens are signed with (None with HS256)."""
        keys = self.jwks["keys"]
        return keys[0]["kid"] if keys else None


def public_jwk(pem: str, algorithm: str) -> dict[str, Any]:
    """The JWK of a PEM public key, with its thumbprint as `kid`.

    It says `use: sig` and not `key_ops`: RFC 7517 4.3 advises against sending both.
    """
    codec = RSAAlgorithm if algorithm.startswith("RS") else ECAlgorithm
    jwk = codec.to_jwk(codec(codec.SHA256).prepare_key(pem), as_dict=True)
    jwk.pop("key_ops", None)
    members = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = encode(members, sort_keys=True)  # RFC 7638: compact, sorted, UTF-8
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    return {**jwk, "kid": kid, "alg": algorithm, "use": "sig"}


def load_signing_keys(config: Mapping[str, Any]) -> SigningKeys:
    """Check the key pair and work out the published keys once; HS256 publishes none."""
    algorithm = config["JWT_ALGORITHM"]
    published = ("JWT_PUBLIC_KEY", "JWT_NEXT_PUBLIC_KEY", "JWT_PREVIOUS_PUBLIC_KEY")
    pems = [config[name] for name in published if config.get(name)]
    try:
        if config["JWT_PRIVATE_KEY"]:
            probe = pyjwt.encode({"probe": 1}, config["JWT_PRIVATE_KEY"], algorithm=algorithm)
            pyjwt.decode(probe, config["JWT_PUBLIC_KEY"], algorithms=[algorithm])
        keys = [public_jwk(pem, algorithm) for pem in pems]
    except (ValueError, TypeError, pyjwt.PyJWTError) as error:
        raise ConfigError(
            f"the JWT key files are not a matching {algorithm} key pair ({error})"
        ) from None
    verifying = {key["kid"]: pem for key, pem in zip(keys, pems, strict=True)}
    keys = list({key["kid"]: key for key in keys}.values())  # a key named twice, once
    return SigningKeys({"keys": keys}, verifying)
