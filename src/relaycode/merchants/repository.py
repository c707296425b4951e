"""Queries for merchants, their memberships and their API keys."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relaycode.db.base import is_db_id
from relaycode.db.pagination import Order, Page, paginate
from relaycode.models import Membership, Merchant, MerchantApiKey, User

# Lists are read a page at a time (db/pagination.py), in these orders.
MERCHANT_ORDER = Order("merchants", (Merchant.name, Merchant.id), (str, int))
MEMBER_ORDER = Order("members", (func.coalesce(User.username, ""), User.id), (str, int))
API_KEY_ORDER = Order("api_keys", (MerchantApiKey.id,), (int,))


def merchant_by_slug(db: Session, slug: str) -> Merchant | None:
    return db.scalar(select(Merchant).where(Merchant.slug == slug))


def merchant_by_id(db: Session, merchant_id: int) -> Merchant | None:
    return db.get(Merchant, merchant_id)


def membership(db: Session, merchant_id: int, user_id: int) -> Membership | None:
    return db.scalar(
        select(Membership).where(
            Membership.merchant_id == merchant_id, Membership.user_id == user_id
        )
    )


def merchants_page(
    db: Session, user_id: int, *, cursor: str | None, limit: int
) -> Page[tuple[Merchant, str]]:
    """The merchants ``user_id`` belongs to, with their role in each, by name."""
    q = (
        select(Merchant, Membership.role)
        .join(Membership, Membership.merchant_id == Merchant.id)
        .where(Membership.user_id == user_id)
    )
    return paginate(db, q, MERCHANT_ORDER, cursor=cursor, limit=limit)


def members_page(
    db: Session, merchant_id: int, *, cursor: str | None, limit: int
) -> Page[tuple[User, str]]:
    """The merchant's members with their roles, by username."""
    q = (
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.merchant_id == merchant_id)
    )
    return paginate(db, q, MEMBER_ORDER, cursor=cursor, limit=limit)


def owner_count(db: Session, merchant_id: int) -> int:
    """Read under the merchant's row lock when a rule depends on it (service.py)."""
    count = db.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.merchant_id == merchant_id, Membership.role == "owner")
    )
    return int(count or 0)


def api_key_by_hash(db: Session, key_hash: str) -> MerchantApiKey | None:
    return db.scalar(select(MerchantApiKey).where(MerchantApiKey.key_hash == key_hash))


def api_key_by_id(db: Session, key_id: int) -> MerchantApiKey | None:
    return db.get(MerchantApiKey, key_id) if is_db_id(key_id) else None


def api_keys_page(
    db: Session, merchant_id: int, *, cursor: str | None, limit: int
) -> Page[MerchantApiKey]:
    """The merchant's keys still in force, oldest first (revoked ones leave the list)."""
    q = select(MerchantApiKey).where(
        MerchantApiKey.merchant_id == merchant_id, MerchantApiKey.revoked_at.is_(None)
    )
    return paginate(db, q, API_KEY_ORDER, cursor=cursor, limit=limit)
