"""Queries for shares: lineage, a sharer's shares and reviews, scan counts, a shop's offers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Integer, Select, false, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from relaycode.db.pagination import Order, Page, paginate
from relaycode.models import Code, Offer, ScanEvent, ShareReview

# How many generations ``lineage`` walks up at most: far beyond any commission depth
# (the operator's hard cap is a handful), and a bound should a cycle ever be written.
LINEAGE_MAX = 1000

SHARE_ORDER = Order("shares", (Code.created_at, Code.id), (datetime, str), descending=True)
REVIEW_ORDER = Order(
    "reviews", (ShareReview.updated_at, ShareReview.code_id), (datetime, str), descending=True
)
SHOP_ORDER = Order("shop", (Offer.id,), (int,), descending=True)  # newest first


def lineage(db: Session, code_id: str, *, max_length: int = LINEAGE_MAX) -> list[Code]:
    """The code and its ancestors, root first: ``[root, …, parent, code]``.

    One recursive query (``WITH RECURSIVE``, on SQLite and PostgreSQL alike) walking
    ``parent_id`` up by primary key, at most ``max_length`` rows: a longer chain comes
    back as its nearest ``max_length`` generations, whose first element then still has
    a ``parent_id``. Unknown ``code_id``: ``[]``.
    """
    if max_length < 1:
        return []
    start = select(Code.id.label("id"), Code.parent_id.label("parent_id"),
                   literal(0, Integer).label("n")).where(Code.id == code_id.lower())  # fmt: skip
    chain = start.cte("chain", recursive=True)
    up = aliased(Code)
    chain = chain.union_all(
        select(up.id, up.parent_id, chain.c.n + 1)
        .join(chain, up.id == chain.c.parent_id)
        .where(chain.c.n < max_length - 1)
    )
    stmt = select(Code).join(chain, Code.id == chain.c.id).order_by(chain.c.n.desc())
    return list(db.scalars(stmt))


def active_share(db: Session, parent_id: str, user_id: int) -> Code | None:
    """The user's active server-made share of ``parent_id`` (at most one: uq_codes_one_share)."""
    return db.scalar(
        select(Code).where(
            Code.parent_id == parent_id,
            Code.holder_user_id == user_id,
            Code.kind == "share",
            Code.format_version == 1,
            Code.status == "active",
        )
    )


def root_code(db: Session, offer_id: int, now: datetime) -> Code | None:
    """The offer's oldest code of its own that still scans (active, not expired): what
    the offer's page shares from, as it has no code of its own in its address."""
    return db.scalar(
        select(Code)
        .where(
            Code.offer_id == offer_id,
            Code.kind == "offer",
            Code.status == "active",
            or_(Code.expires_at.is_(None), Code.expires_at > now),
        )
        .order_by(Code.created_at, Code.id)
        .limit(1)
    )


def review_of(db: Session, code_id: str) -> ShareReview | None:
    return db.get(ShareReview, code_id)


def _live_reviews(user_id: int) -> Select[ShareReview, Code, Offer]:
    """A sharer's reviews of codes that still scan, with the code and its offer."""
    return (
        select(ShareReview, Code, Offer)
        .join(Code, Code.id == ShareReview.code_id)
        .join(Offer, Offer.id == Code.offer_id)
        .where(
            ShareReview.user_id == user_id,
            Code.holder_user_id == user_id,
            Code.status == "active",
            Offer.status != "archived",
        )
    )


def other_reviews(
    db: Session, user_id: int, *, except_code: str | None, limit: int
) -> list[tuple[ShareReview, Code, Offer]]:
    """The sharer's newest reviews besides the one on ``except_code``."""
    q = _live_reviews(user_id)
    if except_code is not None:
        q = q.where(ShareReview.code_id != except_code)
    page = paginate(db, q, REVIEW_ORDER, cursor=None, limit=limit)
    return [(r, c, o) for r, c, o in page.items]


def shares_page(
    db: Session, user_id: int, *, cursor: str | None, limit: int
) -> Page[tuple[Code, Offer | None, ShareReview | None]]:
    """The shares ``user_id`` made, newest first, with their offer and review."""
    q = (
        select(Code, Offer, ShareReview)
        .outerjoin(Offer, Offer.id == Code.offer_id)
        .outerjoin(ShareReview, ShareReview.code_id == Code.id)
        .where(Code.holder_user_id == user_id, Code.kind == "share")
    )
    return paginate(db, q, SHARE_ORDER, cursor=cursor, limit=limit)


def scan_counts(db: Session, code_ids: Iterable[str]) -> dict[str, int]:
    """Scans and opens per code, not counting bots and the merchant's own staff; one
    grouped query for a page of codes (every id given is in the answer)."""
    ids = sorted(set(code_ids))
    if not ids:
        return {}
    rows = db.execute(
        select(ScanEvent.code_id, func.count())
        .where(
            ScanEvent.code_id.in_(ids),
            ScanEvent.is_bot == false(),
            ScanEvent.is_staff == false(),
        )
        .group_by(ScanEvent.code_id)
    ).all()
    counts = dict.fromkeys(ids, 0)
    counts.update({str(code_id): int(n) for code_id, n in rows})
    return counts


def active_offers_page(
    db: Session, merchant_id: int, now: datetime, *, cursor: str | None, limit: int
) -> Page[Offer]:
    """The merchant's offers on sale now (catalog/status.py: effective status "active"),
    newest first."""
    q = select(Offer).where(
        Offer.merchant_id == merchant_id,
        Offer.status == "active",
        or_(Offer.valid_from.is_(None), Offer.valid_from <= now),
        or_(Offer.valid_until.is_(None), Offer.valid_until > now),
    )
    return paginate(db, q, SHOP_ORDER, cursor=cursor, limit=limit)
