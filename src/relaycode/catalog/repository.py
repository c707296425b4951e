from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.db.base import is_db_id
from relaycode.models import Offer


def offer_by_id(db: Session, offer_id: int) -> Offer | None:
    return db.get(Offer, offer_id) if is_db_id(offer_id) else None


def offers_of(db: Session, merchant_id: int, *, include_archived: bool = False) -> list[Offer]:
    q = select(Offer).where(Offer.merchant_id == merchant_id)
    if not include_archived:
        q = q.where(Offer.status != "archived")
    return list(db.scalars(q.order_by(Offer.id.desc())))


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
