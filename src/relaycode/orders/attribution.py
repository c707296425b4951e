"""Which share a sale is credited to, and the chain of referrers behind it, as of now.

The buyer's touches are the current code (when it is a share) and their earlier scans of
shares of the same offer (``scan_events``, bots left out) within the rules' window; the
rules' bind mode picks one (``commission_math.pick_attribution``). The chain is that
share's lineage, nearest sharer first, without the offer's own root code. It is copied
onto the order, so later edits of the lineage or the rules never change an old order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from relaycode.models import Code, ScanEvent
from relaycode.referrals import repository as ref_repo
from relaycode.referrals.commission_math import CommissionRules, Touch, pick_attribution

# The most referrers an order keeps: beyond any depth commissions may reach (the
# operator's cap is at most 10), with room for the loop check to see repeats.
MAX_CHAIN = 16


@dataclass(frozen=True)
class Attribution:
    code_id: str | None  # the share credited, or None (no share within the window)
    bind_mode: str
    touched_at: datetime | None
    chain: list[dict[str, Any]] = field(default_factory=list)


def touches(
    db: Session, *, offer_id: int, buyer_user_id: int, since: datetime, now: datetime
) -> tuple[list[Touch], list[Touch]]:
    """(first, last) scan of each share of the offer by the buyer within [since, now]."""
    rows = db.execute(
        select(ScanEvent.code_id, func.min(ScanEvent.created_at), func.max(ScanEvent.created_at))
        .join(Code, Code.id == ScanEvent.code_id)
        .where(
            ScanEvent.user_id == buyer_user_id,
            ScanEvent.is_bot == false(),
            ScanEvent.created_at >= since,
            ScanEvent.created_at <= now,
            Code.offer_id == offer_id,
            Code.kind == "share",
        )
        .group_by(ScanEvent.code_id)
    ).all()
    first = [Touch(at=lo, code_id=str(cid)) for cid, lo, _hi in rows]
    last = [Touch(at=hi, code_id=str(cid)) for cid, _lo, hi in rows]
    return first, last


def chain_of(db: Session, code_id: str) -> list[dict[str, Any]]:
    """The referrers of ``code_id``, nearest first: ``{"user_id", "code_id", "device_id"}``."""
    line = ref_repo.lineage(db, code_id, max_length=MAX_CHAIN + 1)
    out: list[dict[str, Any]] = []
    for code in reversed(line):
        if code.kind != "share" or code.holder_user_id is None:
            continue  # the offer's own code (the root) is nobody's referral
        out.append(
            {"user_id": code.holder_user_id, "code_id": code.id, "device_id": code.device_id}
        )
    return out[:MAX_CHAIN]


def attribute(
    db: Session,
    *,
    code: Code,
    offer_id: int,
    buyer_user_id: int,
    rules: CommissionRules,
    now: datetime,
) -> Attribution:
    """The attribution of a sale made now through ``code``."""
    first, last = touches(
        db,
        offer_id=offer_id,
        buyer_user_id=buyer_user_id,
        since=now - timedelta(days=rules.window_days),
        now=now,
    )
    found = first if rules.bind_mode == "first_touch" else last
    if code.kind == "share" and code.offer_id == offer_id:
        found.append(Touch(at=now, code_id=code.id))
    picked = pick_attribution(found, now, rules.window_days, rules.bind_mode)
    if picked is None:
        return Attribution(None, rules.bind_mode, None)
    touched_at = min(t.at for t in found if t.code_id == picked)
    if rules.bind_mode == "last_touch":
        touched_at = max(t.at for t in found if t.code_id == picked)
    return Attribution(picked, rules.bind_mode, touched_at, chain_of(db, picked))
