"""The verification hyperlink (Fig. 8's alternative, Fig. 11): the holder asks the
server to send a verifier of the issuing merchant a short-lived link showing the
credential and whether it is valid now. The link names one credential and one verifier;
it is HMAC-signed with the keyring's active key (a key derived for this use only), so
it needs no table, and expires after ``LINK_SECONDS``.

Token: ``<kid>.<credential id>.<verifier user id>.<expires, unix>.<tag>`` (tag: 16 bytes
of HMAC-SHA256, base32, lower case).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from relaycode.codes.keys import Keyring
from relaycode.credentials import repository as cred_repo
from relaycode.credentials.holders import resolve_holder
from relaycode.credentials.service import READERS, check_holder, get_credential
from relaycode.errors import AppError, InvalidInput
from relaycode.models import CredentialTemplate, User
from relaycode.notify.service import notify_user

LINK_SECONDS = 600
_USE = b"rc/verify-link"
_TOKEN = re.compile(r"^(\d{1,9})\.([0-9a-f]{32})\.(\d{1,12})\.(\d{1,12})\.([a-z2-7]{26})$")


class LinkRefused(AppError):
    status = 403
    code = "link_refused"


@dataclass(frozen=True)
class Link:
    credential_id: str
    verifier_id: int
    expires_at: int


def _tag(secret: bytes, body: str) -> str:
    key = hmac.new(secret, _USE, hashlib.sha256).digest()
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()[:16]
    return base64.b32encode(digest).decode().rstrip("=").lower()


def make_token(keyring: Keyring, credential_id: str, verifier_id: int, now: int) -> str:
    kid, secret = keyring.active_hmac()
    body = f"{kid}.{credential_id}.{verifier_id}.{now + LINK_SECONDS}"
    return f"{body}.{_tag(secret, body)}"


def read_token(keyring: Keyring, token: str, *, now: int | None = None) -> Link:
    """The link's facts, or ``LinkRefused`` with ``details.reason``: bad_link, expired."""
    m = _TOKEN.match(token or "")
    secret = keyring.hmac_key(int(m.group(1))) if m else None
    if m is None or secret is None:
        raise LinkRefused("this link is not genuine", details={"reason": "bad_link"})
    body = token.rsplit(".", 1)[0]
    if not hmac.compare_digest(_tag(secret, body), m.group(5)):
        raise LinkRefused("this link is not genuine", details={"reason": "bad_link"})
    link = Link(m.group(2), int(m.group(3)), int(m.group(4)))
    if link.expires_at <= (int(time.time()) if now is None else now):
        raise LinkRefused("this link has expired", details={"reason": "expired"})
    return link


def send(
    db: Session, keyring: Keyring, holder: User, credential_id: str, to: str
) -> tuple[User, int]:
    """Send the link to verifier ``to`` (a username); answers (verifier, expires_at)."""
    credential = get_credential(db, credential_id)
    check_holder(credential, holder)
    target = resolve_holder(db, to).user
    if target is None or cred_repo.role_in(db, credential.merchant_id, target.id) not in READERS:
        raise InvalidInput(
            "send it to a verifier of the merchant that issued it", code="not_a_verifier"
        )
    now = int(time.time())
    token = make_token(keyring, credential.id, target.id, now)
    template = db.get(CredentialTemplate, credential.template_id)
    title = template.name if template is not None else ""
    notify_user(db, target.id, "verification_link",
                {"offer_title": title[:200], "url": f"/verify-link/{token}"})  # fmt: skip
    return target, now + LINK_SECONDS
