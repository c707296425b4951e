"""Offline redemptions, uploaded later by the station that made them.

A station with no network checks a signed (``CR1:``) or rotating (``CR4:``) text against
its trust list, lets the holder in, and queues the redemption with its own nonce. The
upload puts every queued item through the redemption service (redeem.record), in the
order sent, each in its own savepoint: one bad item is answered ``refused`` and does not
roll back the others, and the whole upload is one transaction (the request's).

- The text is verified at the item's ``redeemed_at``, not at upload time: a form that
  had expired by then (signed ``exp`` ≤ 24 h) is refused ``expired``, as is a
  credential whose validity had ended; a time in the future is refused ``bad_time``, as
  is one before the text can have existed (before its credential was made, or longer
  than a signed form lives before its ``exp``): backdated items would otherwise spread
  over past hours and pass the per-station cap. A reference (format-1) text cannot be
  checked offline: refused ``not_offline_form``.
- The same nonce again (this verifier's) answers ``duplicate`` with the first result.
- A credential used up (or a balance short) by the time the item arrives was redeemed
  twice while offline: the later upload is recorded as a **conflict** (verdict
  ``conflict``, ``conflict_of_id`` the lineage's newest accepted one, audit
  ``redeem_conflict`` with both stations and times), listed by
  ``GET /merchants/{id}/redemption-conflicts``.
- A credential revoked or endorsed *now* is never a plain refusal: redeemed before it
  stopped, the use counts (``accepted``, reason ``revoked_after``, off the lineage's
  newest generation) or, if that has nothing left, is a ``conflict`` ``revoked_after``;
  redeemed after (a stale list), a ``conflict`` ``revoked`` (offline_lineage.py).
- At most ``credential_offline_station_cap`` accepted per station, credential and clock
  hour (UTC) of ``redeemed_at``; beyond that ``station_cap``.

Locks, all taken first, each set in id order (offline_lineage.lock_lineages): the
credential items the batch's credentials belong to, then every credential of those
items (each named credential's whole lineage: an older generation's use may come off a
successor). Endorsing locks item then credential too, online redeem one credential, so
batches that overlap queue instead of deadlocking; then each item locks its credential
again (a no-op re-read) and checks under the lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relaycode.codes.keys import Keyring
from relaycode.config import Settings
from relaycode.credentials import repository as repo
from relaycode.credentials.offline_forms import SIGNED_HOURS
from relaycode.credentials.offline_lineage import (
    AFTER,
    STOPPED,
    judge,
    last_accepted,
    lock_lineages,
)
from relaycode.credentials.presentation import Presented, parse_presented
from relaycode.credentials.redeem import amount_rule, check_verifier, record
from relaycode.credentials.service import Refusal, refusal
from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.errors import AppError
from relaycode.models import Credential, CredentialRedemption, CredentialTemplate, User

SKEW = timedelta(minutes=5)  # a station's clock may run a little fast
_CONFLICTS = ("already_redeemed", "insufficient_balance")


@dataclass(frozen=True)
class Item:
    text: str
    nonce: str
    redeemed_at: datetime
    amount: int | None = None


@dataclass(frozen=True)
class Outcome:
    nonce: str
    status: str  # accepted | duplicate | conflict | refused
    reason: str | None
    redemption_id: int | None
    first: str | None = None  # a duplicate: the first result's status


def _status(r: CredentialRedemption) -> str:
    return r.verdict if r.verdict in ("accepted", "conflict") else "refused"


def _from_row(nonce: str, r: CredentialRedemption, *, duplicate: bool) -> Outcome:
    if duplicate:
        return Outcome(nonce, "duplicate", r.reason, r.id, first=_status(r))
    return Outcome(nonce, _status(r), r.reason, r.id)


def _reason(exc: AppError) -> str:
    # invalid_code says which way in details.reason (bad_signature, expired, ...).
    why = exc.details.get("reason") if isinstance(exc.details, dict) else None
    return str(why) if exc.code == "invalid_code" and why else exc.code


def _parse(
    db: Session, settings: Settings, keyring: Keyring, item: Item, now: datetime
) -> Presented | str:
    """What the item's text names, verified at its redeemed_at; or why it is refused."""
    if item.redeemed_at > now + SKEW:
        return "bad_time"
    try:
        p = parse_presented(db, settings, keyring, item.text, now=now, verify_at=item.redeemed_at)
    except AppError as exc:
        return _reason(exc)
    if p.form == "reference":
        return "not_offline_form"
    # A signed form lives SIGNED_HOURS at most: it was made no earlier than exp - that.
    made = int(p.facts["expires_at"]) - SIGNED_HOURS * 3600
    if item.redeemed_at.timestamp() < made - SKEW.total_seconds():
        return "bad_time"
    return p


def _over_cap(db: Session, settings: Settings, c: Credential, station: str, at: datetime) -> bool:
    hour = at.replace(minute=0, second=0, microsecond=0)
    R = CredentialRedemption
    q = select(func.count()).where(
        R.credential_id == c.id, R.station == station, R.verdict == "accepted",
        R.redeemed_at >= hour, R.redeemed_at < hour + timedelta(hours=1),
    )  # fmt: skip
    return int(db.scalar(q) or 0) >= settings.credential_offline_station_cap


def _one(
    db: Session, settings: Settings, verifier: User, station: str, item: Item,
    p: Presented, now: datetime,
) -> Outcome:  # fmt: skip
    found = db.get(Credential, p.credential_id)
    if found is None:
        return Outcome(item.nonce, "refused", "unknown_code", None)
    check_verifier(db, verifier, found)
    if item.redeemed_at < found.created_at - SKEW:  # before the credential existed
        return Outcome(item.nonce, "refused", "bad_time", None)
    template = db.get(CredentialTemplate, found.template_id)
    assert template is not None
    amount_rule(template, item.amount)
    c = get_for_update(db, Credential, found.id)
    assert c is not None
    first = repo.redemption_by_nonce(db, verifier.id, item.nonce)
    if first is not None:
        return _from_row(item.nonce, first, duplicate=True)
    at, amount = item.redeemed_at, item.amount
    if c.status in STOPPED:  # revoked or endorsed now: when, against redeemed_at?
        j = judge(db, c, at, amount)
        refused, conflict, collided, charge = j.refused, j.conflict, j.conflict_of, j.charge
    else:
        refused, conflict, charge = refusal(c, at), False, c
        if refused is None and c.balance_minor is not None and amount and amount > c.balance_minor:
            refused = Refusal("insufficient_balance", 409, "the balance does not cover this")
        conflict = refused is not None and refused.code in _CONFLICTS
        # The lineage's: an endorsee's use may have been taken by an older generation's.
        collided = last_accepted(db, repo.chain_of(db, c)) if conflict else None
    if refused is None and _over_cap(db, settings, c, station, at):
        refused = Refusal("station_cap", 429, "this station redeemed it too often offline")
    note = AFTER if refused is None and c.status in STOPPED else None
    done = record(db, c, verifier, nonce=item.nonce, station=station, form=p.form,
                  amount=amount, refused=refused, now=now, conflict_of=collided,
                  redeemed_at=at, conflict=conflict and refused is not None, charge=charge,
                  note=note)  # fmt: skip
    return _from_row(item.nonce, done.redemption, duplicate=done.replayed)


def upload(
    db: Session,
    settings: Settings,
    keyring: Keyring,
    verifier: User,
    station: str,
    items: list[Item],
    *,
    now: datetime | None = None,
) -> list[Outcome]:
    """Redeem ``items`` (a station's queue, in the order it made them); one outcome each."""
    now = now or utcnow()
    parsed = [_parse(db, settings, keyring, item, now) for item in items]
    lock_lineages(db, [p.credential_id for p in parsed if not isinstance(p, str)])
    out: list[Outcome] = []
    for item, p in zip(items, parsed, strict=True):
        first = repo.redemption_by_nonce(db, verifier.id, item.nonce)
        if first is not None:
            out.append(_from_row(item.nonce, first, duplicate=True))
        elif isinstance(p, str):
            out.append(Outcome(item.nonce, "refused", p, None))
        else:
            try:
                with db.begin_nested():
                    out.append(_one(db, settings, verifier, station, item, p, now))
            except AppError as exc:  # wrong_merchant, amount_required, ...: this item only
                out.append(Outcome(item.nonce, "refused", _reason(exc), None))
    return out
