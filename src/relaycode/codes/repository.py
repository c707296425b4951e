from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.models import Code, Merchant, Offer


def code_with_offer(db: Session, code_hex: str) -> tuple[Code, Offer | None, Merchant | None] | None:
    """One round trip for the resolve hot path: the code, its offer and merchant."""
    row = db.execute(
        select(Code, Offer, Merchant)
        .outerjoin(Offer, Offer.id == Code.offer_id)
        .outerjoin(Merchant, Merchant.id == Offer.merchant_id)
        .where(Code.id == code_hex)
    ).first()
    if row is None:
        return None
    code, offer, merchant = row
    return code, offer, merchant


def codes_of_offer(db: Session, offer_id: int, limit: int = 200) -> list[Code]:
    return list(
        db.scalars(
            select(Code).where(Code.offer_id == offer_id).order_by(Code.created_at.desc()).limit(limit)
        )
    )
