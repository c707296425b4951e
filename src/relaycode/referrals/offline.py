"""Shares made on the phone, offline (claim 5): the device's share key, and registering
a phone-made child code the first time anyone resolves it. Services flush, never commit.

The phone holds a share key derived from the keyring (``HMAC(master, device id)``, see
codes/share_tokens.py) and makes format-2 children with no network. Nothing about them
exists on the server until one is resolved (scanned, opened or re-shared): then
``register`` checks it and writes its ``codes`` row — kind "share", ``format_version`` 2,
``channel`` "offline", the parent, the device and its user as holder, depth one more
than the parent's. The row's id is derived from the code's text, so the same text always
registers (and then resolves to) the same row.

Refusals, each with its own reason: ``device_revoked`` (the device, or its user's
account, can no longer share), ``unknown_parent`` (the code named as parent is not a
shareable code here), ``revoked``/``expired`` (the parent, or its offer, was withdrawn
or has ended), ``too_deep``. A forged or altered text never gets here: its tag
(``bad_tag``) is checked first, without the database. A code registered before its
device was revoked stays what it is (a registered share, withdrawable like any other).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from relaycode.catalog.status import effective_status
from relaycode.codes.keys import Keyring
from relaycode.codes.share_tokens import ShareToken, device_pid, device_share_key
from relaycode.config import Settings
from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.db.session import Database
from relaycode.errors import AppError
from relaycode.models import Code, Device, Offer

CHANNEL = "offline"
# The kinds a share may be made of, and the deepest chain (as referrals/service.py).
SHAREABLE_KINDS = ("offer", "share")
MAX_DEPTH = 32_000
# HTTP status of each refusal when it is an error (a page, a re-share); the scan API
# answers them as ``ours_invalid`` with the reason, like a bad tag.
REFUSALS = {
    "device_revoked": (403, "the phone that made this code may no longer share"),
    "unknown_parent": (404, "the code this share was made from is not registered here"),
    "revoked": (410, "the code this share was made from was withdrawn"),
    "expired": (410, "the code this share was made from has ended"),
    "too_deep": (409, "this chain of shares is too long"),
}


class OfflineRefused(AppError):
    """A phone-made code that cannot be registered; ``code`` is the reason."""

    def __init__(self, reason: str) -> None:
        status, message = REFUSALS[reason]
        super().__init__(message, code=reason, status=status)


@dataclass(frozen=True)
class ShareKey:
    """What a device keeps to make codes offline (shown to that device only)."""

    kid: int
    key: bytes  # the HMAC-SHA-256 share key
    pid: bytes  # the device's pseudonymous id, carried in every code it makes
    prefix: str  # SCHEME://HOST/S/, what the code texts start with


def share_key(settings: Settings, keyring: Keyring, device: Device) -> ShareKey:
    """The device's share key under the active key: derived now, never stored."""
    kid, master = keyring.active_hmac()
    prefix = f"{settings.public_scheme.upper()}://{settings.public_host.upper()}/S/"
    return ShareKey(
        kid=kid,
        key=device_share_key(master, device.id),
        pid=device_pid(master, device.id),
        prefix=prefix,
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def register(db: Session, token: ShareToken) -> Code:
    """The row of a verified phone-made code: the one registered before, or made now.

    Lock, check, then do: the parent's offer and then the parent are locked (the order
    every share takes), and only then is the child looked for again and written. Two
    first resolves at once queue on those locks; the second finds the first's row.
    The primary key (derived from the text) backs this should anything bypass it.
    """
    existing = db.get(Code, token.code_hex)
    if existing is not None:
        return existing  # the usual case after the first time: no lock, no write
    parent = db.get(Code, token.parent_hex)
    if parent is None or parent.offer_id is None or parent.kind not in SHAREABLE_KINDS:
        raise OfflineRefused("unknown_parent")
    offer = get_for_update(db, Offer, parent.offer_id)
    locked = get_for_update(db, Code, parent.id)
    if offer is None or locked is None:
        raise OfflineRefused("unknown_parent")
    existing = db.get(Code, token.code_hex, populate_existing=True)
    if existing is not None:
        return existing
    device = db.get(Device, token.device_id)
    if device is None or device.revoked_at is not None:
        raise OfflineRefused("device_revoked")
    _check_parent(locked, offer)
    child = Code(
        id=token.code_hex,
        kind="share",
        offer_id=offer.id,
        parent_id=locked.id,
        holder_user_id=device.user_id,
        device_id=device.id,
        depth=locked.depth + 1,
        channel=CHANNEL,
        status="active",
        key_id=token.kid,
        format_version=2,
        share_counter=token.counter,
        created_at=utcnow(),
        # A share lasts no longer than what it was made from.
        expires_at=locked.expires_at,
    )
    try:
        with db.begin_nested():
            db.add(child)
    except IntegrityError:
        # Written meanwhile by something that did not take the locks: that row it is.
        found = db.get(Code, token.code_hex, populate_existing=True)
        if found is None:
            raise
        return found
    return child


def _check_parent(parent: Code, offer: Offer) -> None:
    now = utcnow()
    status = effective_status(offer, now)
    if parent.status == "revoked" or status == "archived":
        raise OfflineRefused("revoked")
    expired = parent.expires_at is not None and parent.expires_at <= now
    if parent.status == "expired" or expired or status == "expired":
        raise OfflineRefused("expired")
    if parent.depth + 1 > MAX_DEPTH:
        raise OfflineRefused("too_deep")


Refusal = tuple[str, str]  # (reason, message)


def registrar(database: Database) -> Callable[[ShareToken], Refusal | None]:
    """For the scan path and the pages: make sure the code is registered, in a
    transaction of its own; ``None`` once its row exists, else (reason, message).

    A short read first: once registered (the usual case) nothing is written, and on
    SQLite the writer gate is not taken. Call it before the caller's own transaction
    has begun (its snapshot must start after this commit, and on SQLite it must not hold
    the writer gate this would wait for)."""

    def ensure(token: ShareToken) -> Refusal | None:
        with database.read_transaction() as db:
            if db.get(Code, token.code_hex) is not None:
                return None
        try:
            with database.transaction() as db:
                register(db, token)
        except OfflineRefused as refused:
            return refused.code, refused.message
        return None

    return ensure
