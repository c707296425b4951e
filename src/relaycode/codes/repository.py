from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, inspect, select
from sqlalchemy.orm import Session

from relaycode.db.pagination import Order, Page, page_all, paginate
from relaycode.models import Code, Merchant, Offer

_CODE_COLS = (
    "id",
    "kind",
    "offer_id",
    "parent_id",
    "holder_user_id",
    "depth",
    "channel",
    "status",
    "key_id",
    "format_version",
    "created_at",
    "expires_at",
)
_OFFER_COLS = (
    "id",
    "merchant_id",
    "title",
    "description",
    "image_path",
    "price_minor",
    "currency",
    "category",
    "region",
    "payment_methods",
    "web_link",
    "status",
    "valid_from",
    "valid_until",
)

# Built once, plain Core: the resolve hot path costs one indexed lookup, not an ORM
# unit of work (constructing a statement costs more than running it).
_RESOLVE = (
    select(
        *(getattr(Code, c).label(f"c_{c}") for c in _CODE_COLS),
        *(getattr(Offer, c).label(f"o_{c}") for c in _OFFER_COLS),
        Merchant.name.label("m_name"),
    )
    .select_from(Code)
    .outerjoin(Offer, Offer.id == Code.offer_id)
    .outerjoin(Merchant, Merchant.id == Offer.merchant_id)
    .where(Code.id == bindparam("code_id"))
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Read-only views of a code row and its offer row: attribute-compatible with the models."""

    values: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


_BY_GTIN = (
    select(*(getattr(Offer, c).label(f"o_{c}") for c in _OFFER_COLS), Merchant.name.label("m_name"))
    .join(Merchant, Merchant.id == Offer.merchant_id)
    .where(Offer.gtin == bindparam("gtin"), Offer.status == "active")
    .order_by(Offer.id)
    .limit(1)
)

Lookup = tuple[Select[Any], dict[str, Any]]


def code_lookup(code_hex: str) -> Lookup:
    """The code, its offer and its merchant's name, in one round trip."""
    return _RESOLVE, {"code_id": code_hex}


def gtin_lookup(gtin: str) -> Lookup:
    """The first active offer carrying this GTIN-14, and its merchant's name."""
    return _BY_GTIN, {"gtin": gtin}


def code_from_row(m: dict[str, Any] | None) -> tuple[Any | None, Any | None, str | None]:
    if m is None:
        return None, None, None
    code = Snapshot({c: m[f"c_{c}"] for c in _CODE_COLS})
    offer = Snapshot({c: m[f"o_{c}"] for c in _OFFER_COLS}) if m["o_id"] is not None else None
    return code, offer, m["m_name"]


def offer_from_row(m: dict[str, Any] | None) -> tuple[Any | None, str | None]:
    if m is None:
        return None, None
    return Snapshot({c: m[f"o_{c}"] for c in _OFFER_COLS}), m["m_name"]


def code_by_id(db: Session, code_id: str) -> Code | None:
    """A code by its 32-hex-digit id, in either case; anything else names no code."""
    return db.get(Code, code_id.lower()) if len(code_id) == 32 else None


# Newest first; the id breaks ties between codes issued in the same microsecond.
CODE_ORDER = Order("codes", (Code.created_at, Code.id), (datetime, str), descending=True)


def _offer_codes(offer_id: int, id_prefix: str | None = None) -> Select[Any]:
    q = select(Code).where(Code.offer_id == offer_id)
    if id_prefix:
        # A prefix of the hex id (LIKE 'ab12%' uses the primary key index).
        q = q.where(Code.id.startswith(id_prefix.lower(), autoescape=True))
    return q


def codes_page(
    db: Session, offer_id: int, *, cursor: str | None, limit: int, id_prefix: str | None = None
) -> Page[Code]:
    """One page of an offer's codes, newest first; ``id_prefix`` narrows a search."""
    return paginate(db, _offer_codes(offer_id, id_prefix), CODE_ORDER, cursor=cursor, limit=limit)


def all_codes_of_offer(db: Session, offer_id: int) -> Iterator[Code]:
    """Every code of the offer, newest first, read a page at a time (CSV export)."""
    result: Iterator[Code] = page_all(db, _offer_codes(offer_id), CODE_ORDER)
    return result


def codes_of_offer(db: Session, offer_id: int, *, limit: int) -> list[Code]:
    """The newest ``limit`` codes (callers that need only a few, e.g. the demo seeder)."""
    return list(
        db.scalars(
            select(Code)
            .where(Code.offer_id == offer_id)
            .order_by(Code.created_at.desc())
            .limit(limit)
        )
    )


def any_code_issued(conn: Connection) -> bool:
    """Whether this database holds any code at all (False before the first migration)."""
    if not inspect(conn).has_table(Code.__tablename__):
        return False
    return conn.execute(select(Code.id).limit(1)).first() is not None
