from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from relaycode.db.base import is_db_id
from relaycode.db.pagination import Order, Page, paginate
from relaycode.models import Offer

OFFER_ORDER = Order("offers", (Offer.id,), (int,), descending=True)  # newest first


def offer_by_id(db: Session, offer_id: int) -> Offer | None:
    return db.get(Offer, offer_id) if is_db_id(offer_id) else None


def offers_page(
    db: Session, merchant_id: int, *, include_archived: bool, cursor: str | None, limit: int
) -> Page[Offer]:
    """The merchant's offers, newest first, a page at a time (db/pagination.py)."""
    q: Select[Any] = select(Offer).where(Offer.merchant_id == merchant_id)
    if not include_archived:
        q = q.where(Offer.status != "archived")
    return paginate(db, q, OFFER_ORDER, cursor=cursor, limit=limit)


def offer_by_gtin(db: Session, gtin: str) -> Offer | None:
    return db.scalar(
        select(Offer)
        .where(Offer.gtin == gtin, Offer.status == "active")
        .order_by(Offer.id)
        .limit(1)
    )


def offer_by_sku(db: Session, merchant_id: int, sku: str) -> Offer | None:
    return db.scalar(
        select(Offer).where(Offer.merchant_id == merchant_id, Offer.sku == sku).limit(1)
    )
