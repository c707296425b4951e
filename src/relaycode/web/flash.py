"""One-time messages across a POST-redirect-GET: a new API key's secret, "3 codes withdrawn".

A POST handler that changes something redirects (303) to a page, so that reloading
the page repeats nothing. What that page must show once travels in the ``rc_flash``
cookie: encrypted and authenticated (AES-GCM, so the secret is not readable in the
cookie jar either), bound to the browser's session, valid for a few minutes, scoped to
the one path that shows it, and deleted by the response that shows it. Nothing is
stored on the server, so it works across app instances; nothing goes in the URL.

The key is derived (HKDF) from the instance's active HMAC key (the keyring every app
instance already shares); the cookie names the key id, so a rotation in between still
opens it. It cannot carry the ``__Host-`` prefix (that needs ``Path=/``); it needs none:
a planted or copied flash fails to decrypt for this session and page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import time
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import Request
from fastapi.responses import Response

from relaycode.identity.cookies import SESSION_COOKIE, read_cookie

FLASH_COOKIE = "rc_flash"
FLASH_SECONDS = 300
_INFO = b"relaycode web flash v1"
_NONCE = 12


def _key(secret: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)


def _aad(request: Request, path: str) -> bytes:
    # Bound to this browser's session and to the page that shows it.
    session = read_cookie(request, SESSION_COOKIE) or ""
    return hashlib.sha256(f"{path}\n{session}".encode()).digest()


def set_flash(
    request: Request, response: Response, path: str, kind: str, data: dict[str, Any]
) -> None:
    """Attach a one-time message for the page at ``path`` (where ``response`` redirects)."""
    kid, secret = request.app.state.rc.keyring.active_hmac()
    payload = json.dumps({"k": kind, "exp": int(time.time()) + FLASH_SECONDS, "d": data})
    nonce = secrets.token_bytes(_NONCE)
    sealed = AESGCM(_key(secret)).encrypt(nonce, payload.encode(), _aad(request, path))
    value = base64.urlsafe_b64encode(bytes([kid]) + nonce + sealed).decode().rstrip("=")
    response.set_cookie(
        FLASH_COOKIE,
        value,
        max_age=FLASH_SECONDS,
        path=path,
        httponly=True,
        samesite="lax",
        secure=request.app.state.rc.secure_cookies,
    )


def take_flash(request: Request, kind: str) -> dict[str, Any] | None:
    """The message for this page, if one came; pair with ``clear_flash`` on the response."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    request.state.flash_seen = True
    try:
        blob = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        secret = request.app.state.rc.keyring.hmac_key(blob[0])
        if secret is None or len(blob) < 1 + _NONCE + 16:
            return None
        nonce, sealed = blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
        plain = AESGCM(_key(secret)).decrypt(nonce, sealed, _aad(request, request.url.path))
        payload = json.loads(plain)
    except (binascii.Error, ValueError, InvalidTag, IndexError):
        return None  # tampered, from another session or page, or an old format
    if payload.get("k") != kind or int(payload.get("exp", 0)) < time.time():
        return None
    data = payload.get("d")
    return data if isinstance(data, dict) else None


def clear_flash(request: Request, response: Response) -> Response:
    """Delete the flash cookie once its page was rendered: shown once, never again."""
    if getattr(request.state, "flash_seen", False):
        response.delete_cookie(
            FLASH_COOKIE,
            path=request.url.path,
            httponly=True,
            samesite="lax",
            secure=request.app.state.rc.secure_cookies,
        )
    return response
