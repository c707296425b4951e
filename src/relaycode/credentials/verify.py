"""Verifying online: the verdict on a presented text, without redeeming anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from relaycode.codes.keys import Keyring
from relaycode.config import Settings
from relaycode.credentials import repository as repo
from relaycode.credentials.presentation import our_code, parse_presented
from relaycode.credentials.redeem import check_verifier
from relaycode.credentials.service import audit, effective_status, refusal
from relaycode.errors import AppError
from relaycode.models import Credential, CredentialTemplate, User


@dataclass(frozen=True)
class Verdict:
    verdict: str  # valid | invalid
    reason: str | None
    credential: Credential | None = None
    status: str | None = None
    holder_name: str | None = None


def verify(
    db: Session,
    settings: Settings,
    keyring: Keyring,
    text: str,
    *,
    now: datetime,
    verifier: User | None = None,
) -> Verdict:
    """``verifier``: a person at a station (API): must be of the issuing merchant (403
    ``wrong_merchant``), sees the holder's name if the template shows it, and the check
    is logged. Without one (the CLI, run by the operator): the verdict and reason only."""
    try:
        presented = parse_presented(db, settings, keyring, text, now=now)
    except AppError as exc:
        return Verdict("invalid", str(exc.details.get("reason") or exc.code))
    c = repo.credential_by_id(db, presented.credential_id)
    if c is None:
        return Verdict("invalid", "unknown_code")
    if verifier is not None:
        check_verifier(db, verifier, c)
    refused = refusal(c, now)
    name = None
    template = db.get(CredentialTemplate, c.template_id)
    if verifier is not None and template is not None and template.show_holder_name:
        holder = db.get(User, c.holder_user_id) if c.holder_user_id else None
        name = (holder.display_name or holder.username) if holder else None
    if verifier is not None:
        audit(db, c.merchant_id, "verified", credential_id=c.id, actor=verifier,
              reason=refused.code if refused else None)  # fmt: skip
    verdict = "invalid" if refused else "valid"
    return Verdict(verdict, refused.code if refused else None, c, effective_status(c, now), name)


def pair(
    db: Session, settings: Settings, keyring: Keyring, item_text: str, c: Credential | None
) -> str:
    """Pair mode (Fig. 8): ``match`` when ``c`` was claimed from the printed item in
    ``item_text``. Endorsed generations keep their item, so the paper bill still pairs
    with its current holder's phone. Anything unreadable is simply ``no_match``: the
    verdict on the credential already said what is wrong with it."""
    if c is None:
        return "no_match"
    try:
        code = our_code(db, settings, keyring, item_text)
    except AppError:
        return "no_match"
    item = repo.item_by_code(db, code.id) if code.kind == "credential_item" else None
    return "match" if item is not None and item.id == c.item_id else "no_match"
