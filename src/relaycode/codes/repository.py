"""Queries for codes, and the typed rows the scan hot path reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from relaycode.db.raw import Query
from relaycode.models import Code, Merchant, Offer


@dataclass(frozen=True, slots=True)
class CodeRow:
    """A ``codes`` row as the scan path reads it (attribute-compatible with ``Code``)."""

    id: str
    kind: str
    offer_id: int | None
    parent_id: str | None
    holder_user_id: int | None
    depth: int
    channel: str | None
    status: str
    key_id: int
    format_version: int
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class OfferRow:
    """The public part of an ``offers`` row (attribute-compatible with ``Offer``)."""

    id: int
    merchant_id: int
    title: str
    description: str
    image_path: str | None
    price_minor: int
    currency: str
    category: str | None
    region: str | None
    payment_methods: list[Any]
    web_link: str | None
    status: str
    valid_from: datetime | None
    valid_until: datetime | None


_CODE_COLS = tuple(f.name for f in fields(CodeRow))
_OFFER_COLS = tuple(f.name for f in fields(OfferRow))
_NC, _NO = len(_CODE_COLS), len(_OFFER_COLS)


@dataclass(frozen=True, slots=True)
class ResolveRow:
    """A code, its offer (if any) and the offer's merchant name: one round trip."""

    code: CodeRow
    offer: OfferRow | None
    merchant_name: str | None

    @classmethod
    def from_values(cls, v: Sequence[Any]) -> ResolveRow:
        offer = OfferRow(*v[_NC : _NC + _NO]) if v[_NC] is not None else None
        return cls(CodeRow(*v[:_NC]), offer, v[-1])


@dataclass(frozen=True, slots=True)
class GtinRow:
    offer: OfferRow
    merchant_name: str

    @classmethod
    def from_values(cls, v: Sequence[Any]) -> GtinRow:
        return cls(OfferRow(*v[:_NO]), v[-1])


# Built once, plain Core: the resolve hot path costs one indexed lookup, not an ORM
# unit of work (constructing a statement costs more than running it).
_RESOLVE_COLS = (
    *(getattr(Code, c) for c in _CODE_COLS),
    *(getattr(Offer, c) for c in _OFFER_COLS),
    Merchant.name,
)
_RESOLVE_FROM = (
    select(*_RESOLVE_COLS)
    .select_from(Code)
    .outerjoin(Offer, Offer.id == Code.offer_id)
    .outerjoin(Merchant, Merchant.id == Offer.merchant_id)
)
RESOLVE = Query(_RESOLVE_FROM.where(Code.id == bindparam("code_id")), ResolveRow.from_values)
# PostgreSQL: the lookups of concurrent scans in one statement (see db/raw.py's
# coalescing reader); ``= ANY(array)`` keeps one prepared statement for any batch size.
RESOLVE_MANY = Query(
    _RESOLVE_FROM.where(Code.id == any_(bindparam("code_ids", type_=ARRAY(String)))),
    ResolveRow.from_values,
)
BY_GTIN = Query(
    select(*(getattr(Offer, c) for c in _OFFER_COLS), Merchant.name)
    .join(Merchant, Merchant.id == Offer.merchant_id)
    .where(Offer.gtin == bindparam("gtin"), Offer.status == "active")
    .order_by(Offer.id)
    .limit(1),
    GtinRow.from_values,
)


def codes_of_offer(db: Session, offer_id: int, limit: int = 200) -> list[Code]:
    return list(
        db.scalars(
            select(Code)
            .where(Code.offer_id == offer_id)
            .order_by(Code.created_at.desc())
            .limit(limit)
        )
    )


def code_ids_of_offer(db: Session, offer_id: int) -> list[str]:
    return list(db.scalars(select(Code.id).where(Code.offer_id == offer_id)))
