"""Redeeming: exactly once, under concurrency, and once per verifier nonce.

Lock, check, then do. The credential's row is locked (``get_for_update``) before its
uses or balance are read; a second redeem of the same credential waits for the first to
commit and then sees what it left. The verifier's nonce is looked up again under that
lock, so a retry (or two copies of one request racing) answers the first result, and
the unique (verifier, nonce) constraint, inside a savepoint, settles copies that name
different credentials. Refusals are recorded too (verdict "refused"): the issuer's log
shows them, and a retried refusal answers the same refusal. The same nonce with another
amount is 422 ``nonce_reused``, not the first answer: a station would take a 201 for
this payout being recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from relaycode.codes.keys import Keyring
from relaycode.config import Settings
from relaycode.credentials import notices
from relaycode.credentials import repository as repo
from relaycode.credentials.presentation import parse_presented
from relaycode.credentials.service import Refusal, audit, get_credential, is_team, refusal
from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.errors import Forbidden, InvalidInput, NotFound
from relaycode.identity.auth import Principal
from relaycode.models import Credential, CredentialRedemption, CredentialTemplate, User
from relaycode.models.merchant import ROLES


@dataclass(frozen=True)
class Redeemed:
    redemption: CredentialRedemption
    replayed: bool  # True: the answer of an earlier request with the same nonce
    currency: str | None


def check_verifier(db: Session, verifier: User, credential: Credential) -> None:
    """Verifiers, staff and owners of the issuing merchant (operators too)."""
    if not is_team(db, Principal(user=verifier), credential.merchant_id, ROLES):
        raise Forbidden("this credential was issued by another merchant", code="wrong_merchant")


def amount_rule(template: CredentialTemplate, amount: int | None) -> None:
    if template.use_mode == "balance" and amount is None:
        raise InvalidInput("say how much to redeem (minor units)", code="amount_required")
    if template.use_mode != "balance" and amount is not None:
        raise InvalidInput("this credential has no balance", code="amount_not_allowed")


def _replay(db: Session, first: CredentialRedemption, amount: int | None) -> Redeemed:
    """The first answer for this nonce, unless this request asks for another amount."""
    if amount != first.amount_minor:
        raise InvalidInput(
            "this nonce was used for another redemption; use a new one", code="nonce_reused",
            details={"redemption_id": first.id},
        )  # fmt: skip
    c = db.get(Credential, first.credential_id)
    return Redeemed(first, True, c.currency if c else None)


def redeem(
    db: Session,
    settings: Settings,
    keyring: Keyring,
    verifier: User,
    *,
    text: str,
    nonce: str,
    amount: int | None = None,
    station: str | None = None,
    now: datetime | None = None,
) -> Redeemed:
    first = repo.redemption_by_nonce(db, verifier.id, nonce)
    if first is not None:
        return _replay(db, first, amount)
    now = now or utcnow()
    presented = parse_presented(db, settings, keyring, text, now=now)
    try:
        found = get_credential(db, presented.credential_id)
    except NotFound:
        raise NotFound("this code is not registered here", code="unknown_code") from None
    check_verifier(db, verifier, found)
    template = db.get(CredentialTemplate, found.template_id)
    assert template is not None
    amount_rule(template, amount)
    # Lock, then check: everything below reads the row as the lock protects it.
    c = get_for_update(db, Credential, found.id)
    assert c is not None
    first = repo.redemption_by_nonce(db, verifier.id, nonce)
    if first is not None:
        return _replay(db, first, amount)
    refused = refusal(c, now)
    if refused is None and c.balance_minor is not None and amount and amount > c.balance_minor:
        refused = Refusal("insufficient_balance", 409, "the balance does not cover this")
    return record(db, c, verifier, nonce=nonce, station=station, form=presented.form,
                  amount=amount, refused=refused, now=now)  # fmt: skip


def record(
    db: Session,
    c: Credential,
    verifier: User,
    *,
    nonce: str,
    station: str | None,
    form: str,
    amount: int | None,
    refused: Refusal | None,
    now: datetime,
    conflict_of: CredentialRedemption | None = None,
    redeemed_at: datetime | None = None,
    conflict: bool = False,
    charge: Credential | None = None,
    note: str | None = None,
) -> Redeemed:
    """Write one redeem attempt of ``c`` (locked by the caller, checked: ``refused`` says
    why not) and, if accepted, its new uses / balance. Online and offline share it; an
    offline attempt carries ``redeemed_at`` and, if it collided, ``conflict_of`` (or
    ``conflict``: a conflict with no accepted one to point at). An offline use made
    before an endorsement comes off the newest generation, ``charge`` (also locked), and
    keeps ``note`` as its reason (offline_lineage.py)."""
    src = charge if charge is not None else c
    uses_left, balance = src.uses_left, src.balance_minor
    if refused is None:
        if uses_left is not None:
            uses_left -= 1
        if balance is not None and amount is not None:
            balance -= amount
    verdict = (
        "accepted" if refused is None else "conflict" if conflict_of or conflict else "refused"
    )
    reason = refused.code if refused else note
    r = CredentialRedemption(
        credential_id=c.id, merchant_id=c.merchant_id, verifier_user_id=verifier.id,
        nonce=nonce, station=station, form=form, amount_minor=amount, verdict=verdict,
        reason=reason, http_status=refused.status if refused else 201,
        uses_left=uses_left, balance_minor=balance, created_at=now, redeemed_at=redeemed_at,
        conflict_of_id=conflict_of.id if conflict_of else None,
    )  # fmt: skip
    try:
        with db.begin_nested():
            db.add(r)
    except IntegrityError:
        # The same nonce committed meanwhile for another credential: that answer it is.
        first = repo.redemption_by_nonce(db, verifier.id, nonce)
        if first is None:
            raise
        return _replay(db, first, amount)
    if refused is None:
        src.uses_left, src.balance_minor, src.updated_at = uses_left, balance, now
        if (uses_left == 0 or balance == 0) and src.status == "active":
            src.status = "exhausted"  # a revoked one stays revoked: it is on the list
    action = {"accepted": "redeemed", "refused": "redeem_refused"}.get(verdict, "redeem_conflict")
    detail: dict[str, Any] = {"amount_minor": amount, "redemption_id": r.id, "form": form}
    if redeemed_at is not None:
        detail.update(offline=True, redeemed_at=redeemed_at.isoformat())
    if src is not c:
        detail.update(charged_credential_id=src.id)
    if conflict_of is not None:
        first_at = conflict_of.redeemed_at or conflict_of.created_at
        detail.update(first_redemption_id=conflict_of.id, first_station=conflict_of.station,
                      first_redeemed_at=first_at.isoformat(),
                      first_credential_id=conflict_of.credential_id)  # fmt: skip
    audit(db, c.merchant_id, action, credential_id=c.id, actor=verifier, station=station,
          reason=reason, **detail)  # fmt: skip
    if refused is None:
        notices.redeemed(db, c, r)
        if src is not c:
            notices.used_before_endorsement(db, c, src, r)
    db.flush()
    return Redeemed(r, False, c.currency)
