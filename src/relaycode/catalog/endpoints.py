"""HTTP for merchants and offers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, status

from relaycode.catalog import merchants, service
from relaycode.catalog import repository as repo
from relaycode.catalog.schemas import OfferCreate, OfferOut, OfferUpdate, PublicOfferOut
from relaycode.deps import DbDep, StateDep
from relaycode.identity import repository as id_repo
from relaycode.identity.auth import PrincipalDep, UserDep, authorize_merchant
from relaycode.identity.schemas import ApiKeyIn, ApiKeyOut, MemberIn, MerchantIn, MerchantOut
from relaycode.models import Merchant
from relaycode.uploads import read_limited

router = APIRouter(tags=["catalog"])
EDITORS = ("owner", "staff")
READERS = ("owner", "staff", "verifier")


@router.post("/merchants", status_code=status.HTTP_201_CREATED)
def create_merchant(data: MerchantIn, user: UserDep, db: DbDep) -> MerchantOut:
    return MerchantOut.model_validate(merchants.create_merchant(db, user, data.slug, data.name))


@router.get("/merchants")
def my_merchants(user: UserDep, db: DbDep) -> list[MerchantOut]:
    return [MerchantOut.model_validate(m) for m, _role in id_repo.merchants_of(db, user.id)]


@router.put("/merchants/{slug}/members")
def set_member(slug: str, data: MemberIn, principal: PrincipalDep, db: DbDep) -> dict[str, str]:
    # Locked before the caller's role is read: an owner demoted a moment ago is refused.
    merchant = merchants.get_merchant(db, slug, for_update=True)
    authorize_merchant(db, principal, merchant, roles=("owner",), scope="members:write")
    member = merchants.set_member(db, merchant, data.username, data.role)
    return {"username": data.username.lower(), "role": member.role}


@router.get("/merchants/{slug}/members")
def list_members(slug: str, principal: PrincipalDep, db: DbDep) -> list[dict[str, str]]:
    merchant = merchants.get_merchant(db, slug)
    authorize_merchant(db, principal, merchant, roles=("owner",), scope="members:read")
    return [
        {"username": u.username or "", "role": role}
        for u, role in id_repo.members_of(db, merchant.id)
    ]


@router.delete("/merchants/{slug}/members/{username}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(slug: str, username: str, principal: PrincipalDep, db: DbDep) -> None:
    merchant = merchants.get_merchant(db, slug, for_update=True)
    authorize_merchant(db, principal, merchant, roles=("owner",), scope="members:write")
    merchants.remove_member(db, merchant, username)


@router.post("/merchants/{slug}/api-keys", status_code=status.HTTP_201_CREATED)
def create_api_key(slug: str, data: ApiKeyIn, principal: PrincipalDep, db: DbDep) -> ApiKeyOut:
    merchant = merchants.get_merchant(db, slug)
    authorize_merchant(db, principal, merchant, roles=("owner",), scope="keys:write")
    key, secret = merchants.create_api_key(db, merchant, data.name, list(data.scopes))
    return ApiKeyOut(
        id=key.id, name=key.name, prefix=key.prefix, scopes=key.scopes.split(), key=secret
    )


@router.delete("/merchants/{slug}/api-keys/{key_id}")
def revoke_api_key(slug: str, key_id: int, principal: PrincipalDep, db: DbDep) -> ApiKeyOut:
    merchant = merchants.get_merchant(db, slug)
    authorize_merchant(db, principal, merchant, roles=("owner",), scope="keys:write")
    key = merchants.revoke_api_key(db, merchant, key_id)
    return ApiKeyOut(id=key.id, name=key.name, prefix=key.prefix, scopes=key.scopes.split())


@router.post("/merchants/{slug}/offers", status_code=status.HTTP_201_CREATED)
def create_offer(slug: str, data: OfferCreate, principal: PrincipalDep, db: DbDep) -> OfferOut:
    merchant = merchants.get_merchant(db, slug)
    authorize_merchant(db, principal, merchant, roles=EDITORS, scope="offers:write")
    return service.to_out(service.create_offer(db, merchant, data))


@router.get("/merchants/{slug}/offers")
def list_offers(
    slug: str, principal: PrincipalDep, db: DbDep, include_archived: bool = False
) -> list[OfferOut]:
    merchant = merchants.get_merchant(db, slug)
    authorize_merchant(db, principal, merchant, roles=READERS, scope="offers:read")
    offers = repo.offers_of(db, merchant.id, include_archived=include_archived)
    return [service.to_out(o) for o in offers]


@router.get("/offers/{offer_id}")
def get_offer(offer_id: int, db: DbDep) -> PublicOfferOut:
    """Public service information, as a scanner sees it."""
    offer = service.get_offer(db, offer_id)
    if offer.status != "active":
        service.check_servable(offer)
    merchant = db.get(Merchant, offer.merchant_id)
    assert merchant is not None
    return service.to_public(offer, merchant.name)


@router.patch("/offers/{offer_id}")
def update_offer(
    offer_id: int,
    data: OfferUpdate,
    principal: PrincipalDep,
    db: DbDep,
    if_match: Annotated[int | None, Header()] = None,
) -> OfferOut:
    offer = service.get_offer(db, offer_id)
    merchant = db.get(Merchant, offer.merchant_id)
    assert merchant is not None
    authorize_merchant(db, principal, merchant, roles=EDITORS, scope="offers:write")
    return service.to_out(service.update_offer(db, offer, data, expected_version=if_match))


IfMatch = Annotated[int | None, Header()]


def _change_status(
    offer_id: int, action: str, principal: PrincipalDep, db: DbDep, if_match: int | None
) -> OfferOut:
    offer = service.get_offer(db, offer_id)
    merchant = db.get(Merchant, offer.merchant_id)
    assert merchant is not None
    authorize_merchant(db, principal, merchant, roles=EDITORS, scope="offers:write")
    return service.to_out(service.change_status(db, offer, action, expected_version=if_match))


@router.post("/offers/{offer_id}/pause")
def pause_offer(
    offer_id: int, principal: PrincipalDep, db: DbDep, if_match: IfMatch = None
) -> OfferOut:
    """Stop selling for now; codes keep resolving and show the offer as paused."""
    return _change_status(offer_id, "pause", principal, db, if_match)


@router.post("/offers/{offer_id}/activate")
def activate_offer(
    offer_id: int, principal: PrincipalDep, db: DbDep, if_match: IfMatch = None
) -> OfferOut:
    return _change_status(offer_id, "activate", principal, db, if_match)


@router.post("/offers/{offer_id}/archive")
def archive_offer(
    offer_id: int, principal: PrincipalDep, db: DbDep, if_match: IfMatch = None
) -> OfferOut:
    """Withdraw for good: its codes then resolve as ``ours_invalid`` / ``revoked``."""
    return _change_status(offer_id, "archive", principal, db, if_match)


@router.put("/offers/{offer_id}/image")
async def upload_image(
    offer_id: int, request: Request, principal: PrincipalDep, db: DbDep, state: StateDep
) -> OfferOut:
    """The raw image bytes as the body (PNG, JPEG or WebP)."""
    offer = service.get_offer(db, offer_id)
    merchant = db.get(Merchant, offer.merchant_id)
    assert merchant is not None
    authorize_merchant(db, principal, merchant, roles=EDITORS, scope="offers:write")
    body = await read_limited(request, state.settings.max_upload_bytes, code="image_too_large")
    service.store_image(
        state.settings.data_dir / "media", offer, body, state.settings.max_upload_bytes
    )
    return service.to_out(offer)
