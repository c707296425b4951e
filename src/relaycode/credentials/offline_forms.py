"""The signed (format 3) and rotating (format 4) forms of a credential, made and read
through the pure codec (codes/credential_token.py, docs/code-format.md §5).

Making:
- ``signed``: a COSE_Sign1/CWT of the credential's ids and figures, ``CR1:`` + base45,
  valid ``SIGNED_HOURS`` at most (and never past the credential's own end): a verifier
  that is offline longer than that refuses it, which bounds what a revoked or endorsed
  credential can still do offline. Bound to the key of the device it was claimed on,
  when that device registered an Ed25519 key: the phone page makes the rotating form
  from it itself, with that non-extractable key, even offline.
- ``rotating`` made by the server (an API client, no device key of its own): the proof
  of possession is signed with a key derived from the keyring for this credential, and
  the possession it proves is the holder's signed-in request that fetched it this
  window. A screenshot is worthless a minute later either way.

Reading: ``read_presented`` verifies any ``CR1:``/``CR4:``/``/V/``/``/P/`` text against
this instance's trust list; revocation, redemption and the holder are the caller's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from relaycode.codes.credential_rotating import make_presentation
from relaycode.codes.credential_token import (
    CredentialClaims,
    CredentialTokenError,
    Presented,
    device_thumbprint,
    parse_presented,
    rotating_text,
    sign_credential,
    signed_text,
)
from relaycode.codes.keys import Keyring
from relaycode.codes.trust_list import instance_trust_list
from relaycode.config import Settings
from relaycode.models import Credential, CredentialTemplate, Device, User
from relaycode.models.credential_template import TEMPLATE_KINDS

SIGNED_HOURS = 24
_DERIVE = b"rc/P/server-key"
_HOLDER = b"rc/holder"
_FORM_TEXT = re.compile(r"^\s*(CR[14]:|HTTPS?://[^/]+/[VP]/)", re.IGNORECASE)


def is_offline_form(text: str) -> bool:
    """Does ``text`` claim to be a format-3 or format-4 text (then it must verify)?"""
    return bool(_FORM_TEXT.match(text[:300]))


def kind_number(kind: str) -> int:
    """The template kind as the signed form's small integer (custom: 0)."""
    return TEMPLATE_KINDS.index(kind) + 1 if kind in TEMPLATE_KINDS[:-1] else 0


def holder_id(user: User, merchant_id: int) -> bytes:
    """8 pseudonymous bytes for the holder, never their name or phone. Per issuing
    merchant: the signed form is readable by anyone who sees it, and one id for every
    merchant would link a person's receipts, tickets and bills across shops."""
    return hashlib.sha256(_HOLDER + f"{user.pseudonym}/{merchant_id}".encode()).digest()[:8]


def device_public_key(device: Device | None) -> bytes | None:
    """The raw Ed25519 key a device registered, if it did (an SPKI of another curve: None)."""
    if device is None or device.revoked_at is not None or not device.public_key:
        return None
    text = device.public_key.strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return None
    return raw if len(raw) == 32 else None


def server_device_key(keyring: Keyring, credential_id: str) -> Ed25519PrivateKey:
    """The key the server proves possession with for an API holder: derived, not stored."""
    _, master = keyring.active_hmac()
    seed = hmac.new(master, _DERIVE + bytes.fromhex(credential_id), hashlib.sha256).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def _claims(
    c: Credential, template: CredentialTemplate, holder: User, thumbprint: bytes, now: int
) -> CredentialClaims:
    end = now + SIGNED_HOURS * 3600
    if c.valid_until is not None:
        end = min(end, int(c.valid_until.timestamp()))
    start = int(c.valid_from.timestamp()) if c.valid_from is not None else None
    value = c.balance_minor if template.use_mode == "balance" else c.uses_left
    return CredentialClaims(
        credential_id=c.id,
        expires_at=max(end, now + 60),
        merchant=c.merchant_id,
        template=c.template_id,
        kind=kind_number(template.kind),
        generation=min(c.generation, 255),
        holder=holder_id(holder, c.merchant_id),
        value=value if value is not None and 0 <= value < 2**32 else None,
        device_thumbprint=thumbprint,
        # CWT times are uint32: a start after 2106 is said as 2106 (still not valid now).
        not_before=min(start, 2**32 - 1) if start is not None and start > now else None,
    )


def make_text(
    form: str,
    keyring: Keyring,
    c: Credential,
    template: CredentialTemplate,
    holder: User,
    device: Device | None,
    *,
    now: datetime,
) -> str:
    """The ``signed`` or ``rotating`` text of ``c`` for its ``holder`` at ``now``."""
    at = int(now.timestamp())
    if form == "signed":
        key = device_public_key(device)
        if key is None:
            key = server_device_key(keyring, c.id).public_key().public_bytes_raw()
        raw = sign_credential(
            _claims(c, template, holder, device_thumbprint(key), at), keyring=keyring, now=at
        )
        return signed_text(raw, "cr1")
    signer = server_device_key(keyring, c.id)
    thumb = device_thumbprint(signer.public_key().public_bytes_raw())
    raw = sign_credential(_claims(c, template, holder, thumb, at), keyring=keyring, now=at)
    return rotating_text(make_presentation(raw, signer, now=at), "cr4")


def read_presented(
    settings: Settings, keyring: Keyring, text: str, *, at: int | None = None
) -> Presented:
    """Verify a format-3/4 text now (or at unix time ``at``: an offline station's upload
    is checked at the time it redeemed); ``CredentialTokenError`` (``.reason``) if not."""
    trust = instance_trust_list(settings, keyring)
    when = int(time.time()) if at is None else at
    return parse_presented(text, trust=trust, now=when, our_issuer=settings.public_url)


__all__ = ["CredentialTokenError", "is_offline_form", "make_text", "read_presented"]
