"""HTTP for shares: make one, list one's own, review them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from relaycode.deps import DbDep, NoStore, ReadDbDep, StateDep
from relaycode.errors import AppError
from relaycode.identity.auth import PrincipalDep, UserDep
from relaycode.lists import DEFAULT_LIMIT, CursorQuery, LimitQuery, ListOut
from relaycode.referrals import offline, present, service
from relaycode.referrals import repository as repo
from relaycode.referrals.schemas import (
    MyShareOut,
    ReviewIn,
    ReviewOut,
    ShareIn,
    ShareKeyOut,
    ShareOut,
)

router = APIRouter(tags=["shares"])
CodeId = Annotated[str, Path(pattern=r"^[0-9a-fA-F]{32}$", description="The share's code id")]


@router.post("/shares", status_code=status.HTTP_201_CREATED)
def create_share(
    data: ShareIn,
    response: Response,
    user: UserDep,
    principal: PrincipalDep,
    db: DbDep,
    state: StateDep,
) -> ShareOut:
    """Re-share an offer or share code: a new code carrying you (201), whose parent is
    the code sent. Sharing the same code again answers the share made before (200,
    ``created`` false), and so does sharing a share of your own.

    Refusals: ``not_signed_in`` (401); ``foreign_code``, ``not_a_code``,
    ``invalid_code`` (with ``details.reason``), ``not_shareable`` (422);
    ``unknown_code`` (404); ``code_revoked``, ``code_expired`` (410);
    ``offer_archived``, ``offer_expired`` (409); on a combining game, ``no_attribute``
    (409) for a sharer with no attribute (docs/games.md)."""
    parent = service.parent_for_text(db, state.settings, state.keyring, data.code)
    device_id = principal.device.id if principal.device is not None else None
    shared = service.share(
        db, state.keyring, parent=parent, sharer=user, device_id=device_id, channel=data.channel
    )
    if not shared.created:
        response.status_code = status.HTTP_200_OK
    review = repo.review_of(db, shared.code.id)
    return present.share_out(
        state.settings, state.keyring, shared.code, created=shared.created, review=review
    )


@router.get("/me/shares")
def my_shares(
    user: UserDep,
    db: ReadDbDep,
    state: StateDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[MyShareOut]:
    """The shares you made, newest first, each with its scan count (bots and the
    merchant's own staff not counted) and your review."""
    page = repo.shares_page(db, user.id, cursor=cursor, limit=limit)
    counts = repo.scan_counts(db, (c.id for c, _o, _r in page.items))
    items = [
        present.my_share_out(
            state.settings,
            state.keyring,
            code,
            review=review,
            scans=counts.get(code.id, 0),
            offer_title=offer.title if offer is not None else None,
        )
        for code, offer, review in page.items
    ]
    return ListOut(items=[i for i in items if i is not None], next_cursor=page.next_cursor)


@router.put("/shares/{code_id}/review")
def put_review(code_id: CodeId, data: ReviewIn, user: UserDep, db: DbDep) -> ReviewOut:
    """Write or rewrite your review of a share you made (1–5 stars, up to 2,000
    characters); scanners of the share see it. Someone else's code: ``not_your_share``."""
    review = service.set_review(db, code_id=code_id, user=user, rating=data.rating, text=data.text)
    out = present.review_out(review)
    assert out is not None
    return out


@router.delete("/shares/{code_id}/review", status_code=status.HTTP_204_NO_CONTENT)
def delete_review(code_id: CodeId, user: UserDep, db: DbDep) -> None:
    """Take your review of a share down (nothing to take down is fine too)."""
    service.delete_review(db, code_id=code_id, user=user)


@router.post("/me/device/share-key", dependencies=[NoStore])
def device_share_key(user: UserDep, principal: PrincipalDep, state: StateDep) -> ShareKeyOut:
    """This device's share key, for making share codes on the phone with no network
    (format 2): derived from the keyring and the device, never stored. Ask again after
    a key rotation (``kid`` changes). Needs a session from a device: ``no_device``."""
    device = principal.device
    if device is None or device.user_id != user.id or device.revoked_at is not None:
        raise AppError("sign in from a device first", code="no_device", status=400)
    key = offline.share_key(state.settings, state.keyring, device)
    return ShareKeyOut(
        format_version=2,
        kid=key.kid,
        key=offline.b64url(key.key),
        device_pid=key.pid.hex(),
        prefix=key.prefix,
    )
