"""HTTP for merchants: create one, list mine, its team, its API keys (thin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from relaycode.deps import DbDep, NoStore, ReadDbDep
from relaycode.identity.auth import UserDep
from relaycode.lists import DEFAULT_LIMIT, CursorQuery, LimitQuery, ListOut
from relaycode.merchants import repository as repo
from relaycode.merchants import service
from relaycode.merchants.deps import merchant_access
from relaycode.merchants.schemas import (
    ApiKeyIn,
    ApiKeyOut,
    MemberIn,
    MemberOut,
    MerchantIn,
    MerchantOut,
)
from relaycode.merchants.service import OWNERS
from relaycode.models import Merchant, MerchantApiKey

router = APIRouter(tags=["merchants"])

# Team changes lock the merchant before the caller's role is read (see deps.py).
TeamChange = Annotated[Merchant, Depends(merchant_access(OWNERS, "members:write", lock=True))]
TeamView = Annotated[Merchant, Depends(merchant_access(OWNERS, "members:read", readonly=True))]
KeyChange = Annotated[Merchant, Depends(merchant_access(OWNERS, "keys:write"))]
KeyView = Annotated[Merchant, Depends(merchant_access(OWNERS, "keys:read", readonly=True))]


def _key_out(key: MerchantApiKey, secret: str | None = None) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id, name=key.name, prefix=key.prefix, scopes=key.scopes.split(), key=secret
    )


@router.post("/merchants", status_code=status.HTTP_201_CREATED)
def create_merchant(data: MerchantIn, user: UserDep, db: DbDep) -> MerchantOut:
    """Create a merchant; you become its owner."""
    return MerchantOut.model_validate(service.create_merchant(db, user, data.slug, data.name))


@router.get("/merchants")
def my_merchants(
    user: UserDep, db: ReadDbDep, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> ListOut[MerchantOut]:
    """The merchants you are a member of, by name, a page at a time."""
    page = repo.merchants_page(db, user.id, cursor=cursor, limit=limit)
    items = [MerchantOut.model_validate(m) for m, _role in page.items]
    return ListOut(items=items, next_cursor=page.next_cursor)


@router.put("/merchants/{slug}/members")
def set_member(data: MemberIn, merchant: TeamChange, db: DbDep) -> MemberOut:
    """Add a user to the merchant or change their role (owners only)."""
    member = service.set_member(db, merchant, data.username, data.role)
    return MemberOut(username=data.username.lower(), role=member.role)


@router.get("/merchants/{slug}/members")
def list_members(
    merchant: TeamView, db: ReadDbDep, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> ListOut[MemberOut]:
    """Members by username, a page at a time."""
    page = repo.members_page(db, merchant.id, cursor=cursor, limit=limit)
    items = [MemberOut(username=u.username or "", role=role) for u, role in page.items]
    return ListOut(items=items, next_cursor=page.next_cursor)


@router.delete("/merchants/{slug}/members/{username}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(username: str, merchant: TeamChange, db: DbDep) -> None:
    """Remove a member; the last owner stays (owners only)."""
    service.remove_member(db, merchant, username)


@router.post(
    "/merchants/{slug}/api-keys", status_code=status.HTTP_201_CREATED, dependencies=[NoStore]
)
def create_api_key(data: ApiKeyIn, merchant: KeyChange, db: DbDep) -> ApiKeyOut:
    """Make an API key with the scopes given; its secret is in this answer only."""
    key, secret = service.create_api_key(db, merchant, data.name, list(data.scopes))
    return _key_out(key, secret)


@router.get("/merchants/{slug}/api-keys")
def list_api_keys(
    merchant: KeyView, db: ReadDbDep, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> ListOut[ApiKeyOut]:
    """Keys still in force, oldest first; their secrets are never shown again."""
    page = repo.api_keys_page(db, merchant.id, cursor=cursor, limit=limit)
    return ListOut(items=[_key_out(k) for k in page.items], next_cursor=page.next_cursor)


@router.delete("/merchants/{slug}/api-keys/{key_id}")
def revoke_api_key(key_id: int, merchant: KeyChange, db: DbDep) -> ApiKeyOut:
    """Revoke an API key: it stops working at once."""
    return _key_out(service.revoke_api_key(db, merchant, key_id))
