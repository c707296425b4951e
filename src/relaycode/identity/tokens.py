"""Opaque bearer secrets: random, prefixed by kind, stored only as SHA-256."""

from __future__ import annotations

import base64
import hashlib
import secrets

USER_TOKEN_PREFIX = "rcu_"
MERCHANT_KEY_PREFIX = "rck_"


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_public_id(nbytes: int = 10) -> str:
    """A short pseudonymous id (base32, lower case): safe to show and to put in codes."""
    return base64.b32encode(secrets.token_bytes(nbytes)).decode("ascii").rstrip("=").lower()
