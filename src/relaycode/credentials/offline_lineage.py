"""An offline redemption of a credential that is revoked or endorsed *now*.

The station may have paid out before the credential stopped being usable (then it was a
valid redemption, and the money is real) or after (its revocation list was stale). The
time it stopped is its revocation row's ``created_at`` (``mark_revoked`` writes one row
for an issuer's revoke and for an endorsement alike, in that transaction).

- ``redeemed_at`` at or after that time: **conflict** ``revoked``; nothing is used up.
  ``conflict_of`` is the newest accepted redemption of a later generation, if any.
- before it: valid when made. The lineage (every generation of one item) is one bill:
  an endorsement copies the uses / balance left to generation + 1, so this use comes
  off the **newest generation** (the tip). If the tip still has it: **accepted**
  (reason ``revoked_after``), the tip's uses / balance go down (an active tip becomes
  ``exhausted`` at 0: a single-use bill cashed before its endorsement cannot be cashed
  again by the endorsee). If not (the successor was redeemed too: a double payout):
  **conflict** ``revoked_after``, ``conflict_of`` the lineage's newest accepted one.
  Both kinds are in the issuer's conflict list.

Locks (``lock_lineages``): the credential items the batch names, in id order, then every
credential of those items, in id order. ``endorse`` locks the item before the
credential too, so no generation can be added to a locked item meanwhile, and the set
of credentials locked is the whole lineage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.credentials import repository as repo
from relaycode.credentials.service import Refusal
from relaycode.db.locking import get_many_for_update
from relaycode.models import Credential, CredentialItem, CredentialRedemption

STOPPED = ("revoked", "endorsed")
STALE = Refusal("revoked", 410, "redeemed after it was revoked (the station's list was stale)")
AFTER = "revoked_after"


def lock_lineages(db: Session, credential_ids: list[str]) -> None:
    """Lock every generation of the credentials named (item rows first, then credentials,
    each in id order: the same order for every upload and every endorsement)."""
    if not credential_ids:
        return
    items = select(Credential.item_id).where(Credential.id.in_(set(credential_ids)))
    item_ids = list(db.scalars(items))
    get_many_for_update(db, CredentialItem, item_ids)
    lineage = select(Credential.id).where(Credential.item_id.in_(set(item_ids)))
    get_many_for_update(db, Credential, list(db.scalars(lineage)))


def last_accepted(db: Session, chain: list[Credential]) -> CredentialRedemption | None:
    """The newest accepted redemption of any of ``chain`` (what a conflict collided with)."""
    R = CredentialRedemption
    q = select(R).where(R.credential_id.in_([x.id for x in chain]), R.verdict == "accepted")
    return db.scalars(q.order_by(R.id.desc()).limit(1)).first()


def stopped_at(db: Session, c: Credential) -> datetime:
    row = repo.revocation_of(db, c.id)
    # Every revoke and endorsement writes the row; updated_at is only a fallback for a
    # row restored without it (it was set by the same mark_revoked).
    return row.created_at if row is not None else c.updated_at


@dataclass(frozen=True)
class Judged:
    refused: Refusal | None  # None: accepted
    charge: Credential  # whose uses / balance an accepted one comes off
    conflict: bool
    conflict_of: CredentialRedemption | None


def _short(tip: Credential, amount: int | None) -> Refusal | None:
    if tip.status == "exhausted" or tip.uses_left == 0 or tip.balance_minor == 0:
        return Refusal(AFTER, 409, "redeemed before it was revoked, but used up since")
    if tip.balance_minor is not None and amount and amount > tip.balance_minor:
        return Refusal(AFTER, 409, "redeemed before it was revoked; the balance is short since")
    return None


def judge(db: Session, c: Credential, at: datetime, amount: int | None) -> Judged:
    """The rule above for ``c`` (revoked or endorsed, its lineage locked), redeemed at ``at``."""
    chain = repo.chain_of(db, c)
    later = [x for x in chain if x.generation > c.generation]
    if at >= stopped_at(db, c):
        return Judged(STALE, c, True, last_accepted(db, later) if later else None)
    if c.valid_until is not None and c.valid_until <= at:
        return Judged(Refusal("expired", 410, "this credential had expired"), c, False, None)
    if c.valid_from is not None and c.valid_from > at:
        return Judged(Refusal("not_yet_valid", 409, "not valid yet"), c, False, None)
    tip = chain[-1] if chain else c
    short = _short(tip, amount)
    if short is not None:
        return Judged(short, c, True, last_accepted(db, chain))
    return Judged(None, tip, False, None)
