"""HTTP for offers: a merchant's offers, one offer's public view, edits and status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, status
from starlette.concurrency import run_in_threadpool

from relaycode.catalog import repository as repo
from relaycode.catalog import service
from relaycode.catalog.schemas import OfferCreate, OfferOut, OfferUpdate, PublicOfferOut
from relaycode.deps import DbDep, ReadDbDep, StateDep
from relaycode.lists import DEFAULT_LIMIT, CursorQuery, LimitQuery, ListOut
from relaycode.merchants import repository as merchant_repo
from relaycode.merchants.deps import OfferAccess, merchant_access, offer_access
from relaycode.merchants.service import EDITORS, READERS
from relaycode.models import Merchant
from relaycode.uploads import read_limited

router = APIRouter(tags=["catalog"])

OfferWriter = Annotated[Merchant, Depends(merchant_access(EDITORS, "offers:write"))]
OfferReader = Annotated[Merchant, Depends(merchant_access(READERS, "offers:read", readonly=True))]
EditableOffer = Annotated[OfferAccess, Depends(offer_access(EDITORS, "offers:write"))]
IfMatch = Annotated[int | None, Header()]


@router.post("/merchants/{slug}/offers", status_code=status.HTTP_201_CREATED)
def create_offer(data: OfferCreate, merchant: OfferWriter, db: DbDep) -> OfferOut:
    """Create an offer (the service information a code stands for)."""
    return service.to_out(service.create_offer(db, merchant, data))


@router.get("/merchants/{slug}/offers")
def list_offers(
    merchant: OfferReader,
    db: ReadDbDep,
    include_archived: bool = False,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[OfferOut]:
    """The merchant's offers, newest first, a page at a time."""
    page = repo.offers_page(
        db, merchant.id, include_archived=include_archived, cursor=cursor, limit=limit
    )
    return ListOut(items=[service.to_out(o) for o in page.items], next_cursor=page.next_cursor)


@router.get("/offers/{offer_id}")
def get_offer(offer_id: int, db: ReadDbDep) -> PublicOfferOut:
    """Public service information, as a scanner sees it."""
    offer = service.get_offer(db, offer_id)
    status = service.check_servable(offer)  # archived or ended: 410
    merchant = merchant_repo.merchant_by_id(db, offer.merchant_id)
    return service.to_public(offer, merchant.name if merchant else "", status=status)


@router.patch("/offers/{offer_id}")
def update_offer(
    data: OfferUpdate, access: EditableOffer, db: DbDep, if_match: IfMatch = None
) -> OfferOut:
    """Change some fields of an offer; fields left out keep their value.

    Send ``If-Match: <version>`` to refuse the edit (409) if the offer changed since."""
    offer = service.update_offer(db, access.offer, data, expected_version=if_match)
    return service.to_out(offer)


def _change_status(db: DbDep, access: OfferAccess, action: str, if_match: int | None) -> OfferOut:
    offer = service.change_status(db, access.offer, action, expected_version=if_match)
    return service.to_out(offer)


@router.post("/offers/{offer_id}/pause")
def pause_offer(access: EditableOffer, db: DbDep, if_match: IfMatch = None) -> OfferOut:
    """Stop selling for now; codes keep resolving and show the offer as paused."""
    return _change_status(db, access, "pause", if_match)


@router.post("/offers/{offer_id}/activate")
def activate_offer(access: EditableOffer, db: DbDep, if_match: IfMatch = None) -> OfferOut:
    """Sell a paused offer again."""
    return _change_status(db, access, "activate", if_match)


@router.post("/offers/{offer_id}/archive")
def archive_offer(access: EditableOffer, db: DbDep, if_match: IfMatch = None) -> OfferOut:
    """Withdraw for good: its codes then resolve as ``ours_invalid`` / ``revoked``."""
    return _change_status(db, access, "archive", if_match)


@router.put("/offers/{offer_id}/image")
async def upload_image(
    request: Request, access: EditableOffer, state: StateDep, db: DbDep, if_match: IfMatch = None
) -> OfferOut:
    """The raw image bytes as the body (PNG, JPEG or WebP).

    An edit of the offer: ``If-Match`` is honoured, archived offers refuse (409) and the
    version goes up. The picture is decoded before the offer's row is locked, so the lock
    is not held while Pillow works; both run in worker threads, never on the event loop."""
    limit = state.settings.max_upload_bytes
    body = await read_limited(request, limit, code="image_too_large")
    jpeg = await run_in_threadpool(service.encode_image, body, limit)
    offer = await run_in_threadpool(
        service.replace_image, db, state.media, access.offer, jpeg, expected_version=if_match
    )
    return service.to_out(offer)
