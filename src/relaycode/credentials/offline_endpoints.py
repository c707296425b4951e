"""HTTP for offline redemptions (thin): a station's upload, the issuer's conflict list.

docs/credentials.md ("Offline redemptions") is the contract.
"""

# No ``from __future__ import annotations``: FastAPI reads the signatures at runtime.

from datetime import datetime

from fastapi import APIRouter
from sqlalchemy.orm import Session

from relaycode.credentials import offline_redeem
from relaycode.credentials import repository as repo
from relaycode.credentials.credential_endpoints import MerchantId
from relaycode.credentials.offline_schemas import (
    ConflictOut,
    OfflineResultOut,
    OfflineUploadIn,
    OfflineUploadOut,
    RedeemedOut,
)
from relaycode.credentials.service import EDITORS, is_team
from relaycode.deps import DbDep, ReadDbDep, StateDep
from relaycode.errors import NotFound
from relaycode.identity.auth import PrincipalDep, UserDep
from relaycode.lists import DEFAULT_LIMIT, CursorQuery, LimitQuery, ListOut
from relaycode.models import CredentialRedemption

router = APIRouter(tags=["credentials"])


@router.post("/redemptions/offline")
def upload(data: OfflineUploadIn, user: UserDep, db: DbDep, state: StateDep) -> OfflineUploadOut:
    """A station's queued offline redemptions (at most 500), in the order it made them:
    one result each, `accepted`, `duplicate` (the same nonce again; `first` says what it
    was), `conflict` (used up meanwhile, or `revoked` before it was redeemed: recorded
    for the issuer) or `refused` (`reason`: expired, station_cap, bad_time,
    not_offline_form, bad_signature, ...). Redeemed before its revocation or endorsement:
    `accepted` with reason `revoked_after` (or `conflict` if the bill was used since)."""
    items = [offline_redeem.Item(i.text, i.nonce, i.redeemed_at, i.amount)
             for i in data.redemptions]  # fmt: skip
    done = offline_redeem.upload(db, state.settings, state.keyring, user, data.station, items)
    return OfflineUploadOut(results=[OfflineResultOut(nonce=o.nonce, status=o.status,
        reason=o.reason, redemption_id=o.redemption_id, first=o.first) for o in done])  # fmt: skip


def _side(r: CredentialRedemption, names: dict[int, str | None]) -> RedeemedOut:
    at: datetime = r.redeemed_at or r.created_at
    return RedeemedOut(redemption_id=r.id, credential_id=r.credential_id, station=r.station,
                       verifier=names.get(r.verifier_user_id), redeemed_at=at,
                       uploaded_at=r.created_at)  # fmt: skip


def conflicts_out(db: Session, rows: list[CredentialRedemption]) -> list[ConflictOut]:
    firsts = {r.id: db.get(CredentialRedemption, r.conflict_of_id) for r in rows
              if r.conflict_of_id is not None}  # fmt: skip
    people = {r.verifier_user_id for r in rows} | {
        f.verifier_user_id for f in firsts.values() if f is not None
    }
    names = repo.usernames(db, people)
    out = []
    for r in rows:
        f = firsts.get(r.id)
        stopped = repo.revocation_of(db, r.credential_id)
        out.append(ConflictOut(id=r.id, credential_id=r.credential_id, verdict=r.verdict,
                               reason=r.reason, conflict=_side(r, names),
                               revoked_at=stopped.created_at if stopped else None,
                               first=_side(f, names) if f is not None else None))  # fmt: skip
    return out


@router.get("/merchants/{merchant_id}/redemption-conflicts")
def conflicts(
    merchant_id: MerchantId,
    user: UserDep,
    principal: PrincipalDep,
    db: ReadDbDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[ConflictOut]:
    """Credentials redeemed twice while offline, or redeemed offline around their
    revocation / endorsement (owners, staff), newest first: the later upload and the
    accepted redemption it collided with, with both stations and times."""
    if not is_team(db, principal, merchant_id, EDITORS):
        raise NotFound("no such merchant", code="merchant_not_found")
    page = repo.conflicts_page(db, merchant_id, cursor=cursor, limit=limit)
    return ListOut(items=conflicts_out(db, page.items), next_cursor=page.next_cursor)
