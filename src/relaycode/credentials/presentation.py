"""A credential's presented text, both ways: made for the holder, read for a verifier.

Format 1 is the credential's own reference code (online only). The signed offline form
(format 3, ``CR1:`` / ``/V/``) and the rotating one (format 4, ``CR4:`` / ``/P/``) are made
and verified by ``offline_forms`` over the pure codec (codes/credential_token.py).
``parse_presented`` is the one step from any presented text to the credential it names;
what the form itself says (expiry, window) has been verified by then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from relaycode.codes.answers import code_text
from relaycode.codes.keys import Keyring
from relaycode.codes.resolver import classify_text
from relaycode.codes.share_tokens import ShareToken
from relaycode.config import Settings
from relaycode.credentials import repository as repo
from relaycode.credentials.offline_forms import (
    CredentialTokenError,
    is_offline_form,
    make_text,
    read_presented,
)
from relaycode.errors import AppError, InvalidInput, NotFound
from relaycode.models import Code, Credential, CredentialTemplate, Device, User


@dataclass(frozen=True)
class Presented:
    """What a presented text says: which credential, in which form, and the facts the
    form itself carries (a signed form's expiry, a rotating one's device and window)."""

    credential_id: str
    form: str
    facts: dict[str, Any] = field(default_factory=dict)


def invalid(reason: str, message: str) -> AppError:
    return InvalidInput(message, code="invalid_code", details={"reason": reason})


def our_code(db: Session, settings: Settings, keyring: Keyring, text: str) -> Code:
    """The row of a format-1 code of ours in ``text``: 422 ``invalid_code`` (with
    ``details.reason``: bad_tag, unknown_key, malformed, not_ours) or 404 ``unknown_code``."""
    if "\x00" in text:
        raise invalid("malformed", "this is not a code")
    c = classify_text(text.strip(), settings, keyring)
    if c.verdict == "ours_invalid":
        raise invalid(c.reason or "malformed", c.message or "this code does not verify")
    if c.verdict != "ours" or c.token is None:
        raise invalid("not_ours", "this is not one of our codes")
    if isinstance(c.token, ShareToken):
        raise invalid("not_a_credential", "this code is a share, not a credential")
    code = db.get(Code, c.token.code_hex)
    if code is None:
        raise NotFound("this code is not registered here", code="unknown_code")
    return code


def parse_presented(
    db: Session,
    settings: Settings,
    keyring: Keyring,
    text: str,
    *,
    now: datetime,
    verify_at: datetime | None = None,
) -> Presented:
    """The one step from a presented text to the credential it names (any form); a
    signed or rotating form is verified at ``verify_at`` if given (offline uploads)."""
    if "\x00" not in text and is_offline_form(text):
        at = int(verify_at.timestamp()) if verify_at is not None else None
        try:
            p = read_presented(settings, keyring, text, at=at)
        except CredentialTokenError as exc:
            raise invalid(exc.reason, str(exc)) from None
        facts = {"expires_at": p.claims.expires_at, "window": p.window, "kid": p.kid}
        return Presented(credential_id=p.claims.credential_id, form=p.kind, facts=facts)
    code = our_code(db, settings, keyring, text)
    if code.kind != "credential":
        reason = "is an item to claim" if code.kind == "credential_item" else "is no credential"
        raise invalid("not_a_credential", f"this code {reason}")
    found = repo.credential_by_code(db, code.id)
    if found is None:
        raise NotFound("this code is not registered here", code="unknown_code")
    return Presented(credential_id=found.id, form="reference")


def render(
    db: Session,
    settings: Settings,
    keyring: Keyring,
    c: Credential,
    template: CredentialTemplate,
    form: str,
    *,
    now: datetime,
) -> str:
    """The text the holder shows, in ``form`` (the caller checked it is theirs)."""
    if form not in template.forms:
        raise InvalidInput("the issuer does not allow this form", code="form_not_allowed")
    if form == "reference":
        code = db.get(Code, c.code_id)
        text = code_text(settings, keyring, code) if code is not None else None
        if text is None:
            raise AppError("this code's key was retired", code="form_not_available", status=422)
        return text
    holder = db.get(User, c.holder_user_id) if c.holder_user_id is not None else None
    if holder is None:
        raise InvalidInput("this credential has no holder yet", code="form_not_available")
    device = db.get(Device, c.device_id) if c.device_id is not None else None
    return make_text(form, keyring, c, template, holder, device, now=now)
