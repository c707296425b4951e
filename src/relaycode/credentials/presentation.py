"""A credential's presented text, both ways: made for the holder, read for a verifier.

Format 1 (the credential's own reference code) works now. The signed offline form
(format 3, ``CR1:`` / ``/V/``) and the rotating one (format 4, ``/P/``) come from the
pure codec ``relaycode.codes.credential_token``; until that module exists they answer
422 ``form_not_available``. Its contract, the two functions called here:

    make_presentation(form: str, claims: dict[str, Any], keyring: Keyring, *,
                      now: datetime) -> str
    read_presentation(text: str, keyring: Keyring, *, now: datetime)
        -> tuple[str, str, dict[str, Any]] | None
        # (cti, form, facts); None: not a signed/rotating text (try format 1);
        # raises codes.tokens.TokenError(reason, message) for a forged or stale one

``claims`` are ``offline_claims`` below: pseudonymous ids and figures, never a name.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session

from relaycode.codes.answers import code_text
from relaycode.codes.keys import Keyring
from relaycode.codes.resolver import classify_text
from relaycode.codes.share_tokens import ShareToken
from relaycode.codes.tokens import TokenError
from relaycode.config import Settings
from relaycode.credentials import repository as repo
from relaycode.errors import AppError, InvalidInput, NotFound
from relaycode.models import Code, Credential, CredentialTemplate

CODEC = "relaycode.codes.credential_token"


@dataclass(frozen=True)
class Presented:
    """What a presented text says: which credential, in which form, and the facts the
    form itself carries (a signed form's expiry, a rotating one's device and window)."""

    credential_id: str
    form: str
    facts: dict[str, Any] = field(default_factory=dict)


def _codec() -> ModuleType | None:
    try:
        return importlib.import_module(CODEC)
    except ImportError:
        return None


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
    db: Session, settings: Settings, keyring: Keyring, text: str, *, now: datetime
) -> Presented:
    """The one step from a presented text to the credential it names (any form)."""
    codec = _codec()
    if codec is not None and "\x00" not in text:
        try:
            read = codec.read_presentation(text.strip(), keyring, now=now)
        except TokenError as exc:
            raise invalid(exc.reason, str(exc)) from None
        if read is not None:
            cti, form, facts = read
            return Presented(credential_id=str(cti), form=str(form), facts=dict(facts))
    code = our_code(db, settings, keyring, text)
    if code.kind != "credential":
        reason = "is an item to claim" if code.kind == "credential_item" else "is no credential"
        raise invalid("not_a_credential", f"this code {reason}")
    found = repo.credential_by_code(db, code.id)
    if found is None:
        raise NotFound("this code is not registered here", code="unknown_code")
    return Presented(credential_id=found.id, form="reference")


def offline_claims(c: Credential) -> dict[str, Any]:
    """What a signed form may carry: ids and figures only."""
    return {
        "cti": c.id,
        "merchant_id": c.merchant_id,
        "template_id": c.template_id,
        "generation": c.generation,
        "valid_from": c.valid_from,
        "valid_until": c.valid_until,
        "uses_left": c.uses_left,
        "balance_minor": c.balance_minor,
        "currency": c.currency,
    }


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
    codec = _codec()
    if codec is None:
        raise InvalidInput(f"the {form} form is not available yet", code="form_not_available")
    made: str = codec.make_presentation(form, offline_claims(c), keyring, now=now)
    return made
