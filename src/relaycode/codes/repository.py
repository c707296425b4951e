"""Queries for codes, and the typed rows the scan hot path reads."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, String, any_, bindparam, inspect, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from relaycode.db.pagination import Order, Page, page_all, paginate
from relaycode.db.raw import Query
from relaycode.models import Code, Merchant, Offer, PaymentCode, ShareReview, User


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
    device_id: int | None = None
    share_counter: int | None = None


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
    kind: str = "standard"
    game: dict[str, Any] | None = None  # a "combine" offer's game (games/)


@dataclass(frozen=True, slots=True)
class SharerRow:
    """A share's holder as scanners see them (no phone, no e-mail), and their review."""

    username: str | None
    display_name: str | None
    rating: int | None  # None: no review
    review_text: str | None
    reviewed_at: datetime | None


_CODE_COLS = tuple(f.name for f in fields(CodeRow))
_OFFER_COLS = tuple(f.name for f in fields(OfferRow))
_NC, _NO = len(_CODE_COLS), len(_OFFER_COLS)
_NM = _NC + _NO  # the merchant's name, then the sharer's columns


@dataclass(frozen=True, slots=True)
class ResolveRow:
    """A code, its offer (if any), the offer's merchant name and, for a share, its
    sharer and review: one round trip. ``moves``: for a code of a combining game, the
    attributes its chain of sharers added (a second read, ``games.repository.CHAIN``,
    made only for such codes: see ``wants_chain``)."""

    code: CodeRow
    offer: OfferRow | None
    merchant_name: str | None
    sharer: SharerRow | None = None
    moves: tuple[str, ...] | None = None
    payment: PaymentRow | None = None  # a shop's payment code: a second read (PAYMENT)

    @classmethod
    def from_values(cls, v: Sequence[Any]) -> ResolveRow:
        code = CodeRow(*v[:_NC])
        offer = OfferRow(*v[_NC:_NM]) if v[_NC] is not None else None
        sharer = SharerRow(*v[_NM + 1 :]) if code.holder_user_id is not None else None
        return cls(code, offer, v[_NM], sharer)


def wants_chain(row: ResolveRow | None) -> bool:
    """Whether the answer for ``row`` needs its chain's attributes (a combining game's
    code that has none read yet)."""
    return (
        row is not None
        and row.moves is None
        and row.offer is not None
        and row.offer.kind == "combine"
        and bool(row.offer.game)
    )


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """A shop's payment code (receipts/paycodes.py): whom it pays and how."""

    id: int
    payee: str
    label: str | None
    currency: str
    methods: tuple[str, ...]

    @classmethod
    def from_values(cls, v: Sequence[Any]) -> PaymentRow:
        methods = tuple(m for m in (v[4] or ()) if isinstance(m, str))
        return cls(int(v[0]), v[1], v[2], v[3], methods)


def wants_payment(row: ResolveRow | None) -> bool:
    """Whether the answer for ``row`` needs its payment code's payee (not read yet)."""
    return row is not None and row.payment is None and row.code.kind == "payment"


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
    User.username,
    User.display_name,
    ShareReview.rating,
    ShareReview.text,
    ShareReview.updated_at,
)
# The sharer and the review are joined on primary keys: for an offer's own code (no
# holder, no review) they cost two index probes that find nothing.
_RESOLVE_FROM = (
    select(*_RESOLVE_COLS)
    .select_from(Code)
    .outerjoin(Offer, Offer.id == Code.offer_id)
    .outerjoin(Merchant, Merchant.id == Offer.merchant_id)
    .outerjoin(User, User.id == Code.holder_user_id)
    .outerjoin(ShareReview, ShareReview.code_id == Code.id)
)
RESOLVE = Query(_RESOLVE_FROM.where(Code.id == bindparam("code_id")), ResolveRow.from_values)
# Only for a code of kind "payment" (wants_payment): other codes never pay for the join.
PAYMENT = Query(
    select(PaymentCode.id, Merchant.name, PaymentCode.label, PaymentCode.currency,
           PaymentCode.methods)
    .join(Merchant, Merchant.id == PaymentCode.merchant_id)
    .where(PaymentCode.code_id == bindparam("code_id")),
    PaymentRow.from_values,
)  # fmt: skip
# PostgreSQL: the lookups of concurrent scans in one statement (see db/raw.py's
# coalescing reader); ``= ANY(array)`` keeps one prepared statement for any batch size.
RESOLVE_MANY = Query(
    _RESOLVE_FROM.where(Code.id == any_(bindparam("code_ids", type_=ARRAY(String)))),
    ResolveRow.from_values,
)
# Only an offer that is live at ``now`` (catalog/status.effective_status == "active"):
# set active, started, not ended. An ended or not-yet-started offer with the same GTIN
# must not hide the one on sale (nor be served as the product's page).
_NOW = bindparam("now", type_=Offer.valid_from.type)
BY_GTIN = Query(
    select(*(getattr(Offer, c) for c in _OFFER_COLS), Merchant.name)
    .join(Merchant, Merchant.id == Offer.merchant_id)
    .where(
        Offer.gtin == bindparam("gtin"),
        Offer.status == "active",
        or_(Offer.valid_from.is_(None), Offer.valid_from <= _NOW),
        or_(Offer.valid_until.is_(None), Offer.valid_until > _NOW),
    )
    .order_by(Offer.id)
    .limit(1),
    GtinRow.from_values,
)


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
    """The newest ``limit`` of the offer's own codes (kind "offer": shares made from them
    are not), for callers that need only a few, e.g. the demo seeder."""
    return list(
        db.scalars(
            select(Code)
            .where(Code.offer_id == offer_id, Code.kind == "offer")
            .order_by(Code.created_at.desc())
            .limit(limit)
        )
    )


def any_code_issued(conn: Connection) -> bool:
    """Whether this database holds any code at all (False before the first migration)."""
    if not inspect(conn).has_table(Code.__tablename__):
        return False
    return conn.execute(select(Code.id).limit(1)).first() is not None
