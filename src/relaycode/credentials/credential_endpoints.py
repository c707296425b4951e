"""HTTP for credentials (thin): claim, hold, present, endorse, redeem, verify, revoke.

docs/credentials.md is the contract: states, refusal codes, lock order.
"""

# No ``from __future__ import annotations``: FastAPI reads the signatures at runtime.

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from fastapi.responses import JSONResponse, StreamingResponse

from relaycode.credentials import claims, endorse, present, redeem, revocation, verify
from relaycode.credentials import repository as repo
from relaycode.credentials.audit_csv import csv_chunks
from relaycode.credentials.presentation import render
from relaycode.credentials.schemas import (
    AuditOut,
    ChainLinkOut,
    ClaimIn,
    CredentialOut,
    EndorseIn,
    Form,
    PresentationOut,
    RedeemIn,
    RedemptionOut,
    RevocationListOut,
    RevokedOut,
    RevokeIn,
    VerificationOut,
    VerifyIn,
)
from relaycode.credentials.service import (
    EDITORS,
    READERS,
    check_holder,
    effective_status,
    get_credential,
    is_team,
    visible_credential,
)
from relaycode.db.base import utcnow
from relaycode.deps import DbDep, ReadDbDep, StateDep
from relaycode.errors import Conflict, NotFound
from relaycode.identity.auth import PrincipalDep, UserDep
from relaycode.lists import DEFAULT_LIMIT, CursorQuery, LimitQuery, ListOut
from relaycode.models import CredentialTemplate
from relaycode.state import AppState

router = APIRouter(tags=["credentials"])
CredentialId = Annotated[
    str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-fA-F]{32}$", description="Its id")
]
MerchantId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The merchant's id")]


def _out(principal: PrincipalDep, db: DbDep, credential_id: str) -> CredentialOut:
    c, team = visible_credential(db, principal, credential_id)
    return present.credential_out(db, c, status=effective_status(c, utcnow()), team=team)


@router.post("/claims", status_code=status.HTTP_201_CREATED)
def claim(
    data: ClaimIn, response: Response, user: UserDep, principal: PrincipalDep, db: DbDep,
    state: StateDep,
) -> CredentialOut:  # fmt: skip
    """Claim an item's code as its bound holder: 201 with the new credential; claiming
    again answers the same credential with 200. Anyone else: 403 `not_holder`."""
    device = principal.device.id if principal.device is not None else None
    done = claims.claim(db, state.settings, state.keyring, user, data.text, device_id=device)
    if not done.created:
        response.status_code = status.HTTP_200_OK
    c = done.credential
    return present.credential_out(db, c, status=effective_status(c, utcnow()))


@router.get("/me/credentials")
def my_credentials(
    user: UserDep, db: ReadDbDep, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> ListOut[CredentialOut]:
    """Your credentials (every state), newest first."""
    page = repo.holder_credentials(db, user.id, cursor=cursor, limit=limit)
    now = utcnow()
    items = [present.credential_out(db, c, status=effective_status(c, now)) for c in page.items]
    return ListOut(items=items, next_cursor=page.next_cursor)


@router.get("/credentials/{credential_id}")
def get_credential_(
    credential_id: CredentialId, user: UserDep, principal: PrincipalDep, db: ReadDbDep
) -> CredentialOut:
    """For its holder and the issuer's team (404 `credential_not_found` otherwise)."""
    return _out(principal, db, credential_id)


@router.get("/credentials/{credential_id}/presentation")
def presentation(
    credential_id: CredentialId,
    user: UserDep,
    db: ReadDbDep,
    state: StateDep,
    form: Annotated[Form, Query(description="reference, signed or rotating")] = "reference",
) -> PresentationOut:
    """The text the holder shows (their own only). 422 `form_not_allowed` for a form the
    template does not allow, `form_not_available` for one not built yet."""
    c = get_credential(db, credential_id)
    check_holder(c, user)
    now = utcnow()
    if effective_status(c, now) != "active":
        raise Conflict("this credential is no longer active", code="credential_not_active")
    template = db.get(CredentialTemplate, c.template_id)
    assert template is not None
    text = render(db, state.settings, state.keyring, c, template, form, now=now)
    return PresentationOut(form=form, text=text)


@router.post("/credentials/{credential_id}/endorse", status_code=status.HTTP_201_CREATED)
def endorse_(
    credential_id: CredentialId, data: EndorseIn, user: UserDep, db: DbDep, state: StateDep
) -> CredentialOut:
    """Endorse to a username or a phone number (Fig. 9): 201 with the new holder's
    credential; yours is revoked (reason `endorsed`)."""
    new = endorse.endorse(db, state.keyring, user, credential_id, data.to)
    return present.credential_out(db, new, status=effective_status(new, utcnow()))


@router.get("/credentials/{credential_id}/chain")
def chain(
    credential_id: CredentialId, user: UserDep, principal: PrincipalDep, db: ReadDbDep
) -> list[ChainLinkOut]:
    """Every generation of the credential's item, oldest first (the issuer's team and its
    verifiers)."""
    c = get_credential(db, credential_id)
    if not is_team(db, principal, c.merchant_id, READERS):
        raise NotFound("no such credential", code="credential_not_found")
    links = repo.chain_of(db, c)
    now = utcnow()
    return present.chain_out(db, links, {x.id: effective_status(x, now) for x in links})


@router.post("/credentials/{credential_id}/revoke")
def revoke(
    credential_id: CredentialId,
    user: UserDep,
    principal: PrincipalDep,
    db: DbDep,
    data: RevokeIn | None = None,
) -> CredentialOut:
    """Withdraw it (the issuer's owners and staff); it enters the revocation list."""
    c = get_credential(db, credential_id)
    if not is_team(db, principal, c.merchant_id, EDITORS):
        raise NotFound("no such credential", code="credential_not_found")
    reason = data.reason if data else "issuer"
    done = revocation.revoke(db, c.id, reason=reason, actor=user)
    return present.credential_out(db, done, status=done.status, team=True)


def _redeemed_answer(done: redeem.Redeemed) -> JSONResponse:
    r = done.redemption
    headers = {"Idempotent-Replayed": "true"} if done.replayed else {}
    if r.verdict == "accepted":
        body = present.redemption_out(r, done.currency).model_dump(mode="json")
        return JSONResponse(body, status_code=201, headers=headers)
    error = {"code": r.reason, "message": _MESSAGES.get(r.reason or "", "refused"),
             "details": {"redemption_id": r.id, "credential_id": r.credential_id}}  # fmt: skip
    return JSONResponse({"error": error}, status_code=r.http_status, headers=headers)


_MESSAGES = {
    "already_redeemed": "this credential was already redeemed",
    "insufficient_balance": "the balance does not cover this",
    "revoked": "this credential was revoked or endorsed to someone else",
    "expired": "this credential has expired",
    "not_yet_valid": "this credential is not valid yet",
}


@router.post(
    "/redemptions",
    status_code=status.HTTP_201_CREATED,
    response_model=RedemptionOut,
    responses={409: {}, 410: {}},
)
def redeem_(data: RedeemIn, user: UserDep, db: DbDep, state: StateDep) -> JSONResponse:
    """Redeem a presented credential (its issuer's verifiers, staff, owners): 201, or a
    refusal (409 `already_redeemed` / `insufficient_balance`, 410 `revoked` / `expired`,
    409 `not_yet_valid`), recorded either way. The same `nonce` again answers the first
    result (header `Idempotent-Replayed: true`)."""
    done = redeem.redeem(db, state.settings, state.keyring, user, text=data.text,
                         nonce=data.nonce, amount=data.amount, station=data.station)  # fmt: skip
    return _redeemed_answer(done)


@router.post("/verifications")
def verification(data: VerifyIn, user: UserDep, db: DbDep, state: StateDep) -> VerificationOut:
    """The verdict on a presented text, nothing redeemed (the issuer's team): `valid`, or
    `invalid` with a `reason` (revoked, expired, already_redeemed, bad_tag, ...). With
    `item_text` (pair mode, Fig. 8) also `pair`: `match` when the credential was claimed
    from that printed item (any generation after endorsements), else `no_match`."""
    v = verify.verify(db, state.settings, state.keyring, data.text, now=utcnow(), verifier=user)
    pair = None
    if data.item_text is not None:
        pair = verify.pair(db, state.settings, state.keyring, data.item_text, v.credential)
    out = None
    if v.credential is not None and v.status is not None:
        out = present.credential_out(db, v.credential, status=v.status)
    return VerificationOut(verdict=v.verdict, reason=v.reason, credential=out,
                           holder_name=v.holder_name, pair=pair)  # fmt: skip


@router.get("/revocations")
def revocations(
    db: ReadDbDep,
    since: Annotated[int, Query(ge=0, le=2**62, description="The version you have")] = 0,
) -> RevocationListOut:
    """Credentials revoked after version `since` (public: pseudonymous ids only)."""
    delta = revocation.since(db, since)
    revoked = [RevokedOut(cti=r.credential_id, reason=r.reason, version=r.version)
               for r in delta.revoked]  # fmt: skip
    return RevocationListOut(version=delta.version, revoked=revoked, more=delta.more)


def _check_team(principal: PrincipalDep, db: ReadDbDep, merchant_id: int) -> None:
    if not is_team(db, principal, merchant_id, EDITORS):
        raise NotFound("no such merchant", code="merchant_not_found")


@router.get("/merchants/{merchant_id}/credential-audit")
def audit_log(
    merchant_id: MerchantId,
    user: UserDep,
    principal: PrincipalDep,
    db: ReadDbDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[AuditOut]:
    """The issuer's log, newest first (owners, staff): issued, claimed, endorsed,
    revoked, redeemed, redeem_refused, verified, bound."""
    _check_team(principal, db, merchant_id)
    page = repo.audit_page(db, merchant_id, cursor=cursor, limit=limit)
    names = repo.usernames(db, {a.actor_user_id for a in page.items if a.actor_user_id})
    return ListOut(items=present.audit_out(page.items, names), next_cursor=page.next_cursor)


def _csv(state: AppState, merchant_id: int) -> Iterator[bytes]:
    # Its own read-only session: the request's has ended by the time the body streams.
    session = state.db.readonly_sessionmaker()
    try:
        with session.begin():
            yield from csv_chunks(session, repo.audit_all(session, merchant_id))
    finally:
        session.close()


@router.get(
    "/merchants/{merchant_id}/credential-audit.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def audit_csv(
    merchant_id: MerchantId, user: UserDep, principal: PrincipalDep, db: ReadDbDep, state: StateDep
) -> StreamingResponse:
    """The whole log as CSV (streamed, newest first; formula-safe cells)."""
    _check_team(principal, db, merchant_id)
    headers = {
        "Content-Disposition": f'attachment; filename="relaycode-{merchant_id}-credentials.csv"',
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(
        _csv(state, merchant_id), media_type="text/csv; charset=utf-8", headers=headers
    )
