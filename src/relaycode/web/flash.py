"""One-time messages across a POST-redirect-GET: a new API key's secret, "3 codes withdrawn".

A POST handler that changes something redirects (303) to a page, so that reloading
the page repeats nothing. What that page must show once travels in the ``rc_flash``
cookie: encrypted and authenticated (AES-GCM, so the secret is not readable in the
cookie jar either), bound to the browser's session, valid for a few minutes, scoped to
the one path that shows it, and deleted by the response that shows it. Nothing goes in
the URL, and the secret is never stored on the server.

Deleting the cookie only asks the browser; a captured cookie could be replayed. So each
flash carries a random id, and showing it records that id in the database
(``flashes_shown``, in the request's transaction, one atomic insert): a flash whose id
is already there shows nothing, and of two requests showing it at once only one does.
Ids are kept until their flash expires; expired ones are purged as new ones are shown.

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
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from relaycode.identity import repository as repo
from relaycode.identity.cookies import SESSION_COOKIE, read_cookie

FLASH_COOKIE = "rc_flash"
FLASH_SECONDS = 300
_INFO = b"relaycode web flash v1"
_NONCE = 12
_ID = re.compile(r"^[0-9a-f]{32}$")


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
    expires = int(time.time()) + FLASH_SECONDS
    payload = json.dumps({"id": secrets.token_hex(16), "k": kind, "exp": expires, "d": data})
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


def take_flash(request: Request, db: Session, kind: str) -> dict[str, Any] | None:
    """The message for this page, if one came and was never shown before (``db`` is the
    request's writable session; pair with ``clear_flash`` on the response)."""
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
    if not isinstance(payload, dict):
        return None
    flash_id, expires = payload.get("id"), payload.get("exp")
    if payload.get("k") != kind or not isinstance(expires, int) or expires < time.time():
        return None
    data = payload.get("d")
    if not isinstance(flash_id, str) or not _ID.match(flash_id) or not isinstance(data, dict):
        return None  # no id: a flash from before ids, which could be replayed
    repo.purge_shown_flashes(db, datetime.now(UTC))
    if not repo.mark_flash_shown(db, flash_id, datetime.fromtimestamp(expires, UTC)):
        return None  # shown already: a replayed cookie, or a second tab at the same time
    return data


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
