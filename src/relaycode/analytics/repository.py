"""The aggregate queries behind analytics: one grouped statement per measure.

Each measure is counted against a code, and the code gives the offer, channel and
referrer it is grouped by:

- **scans**: scan events of the code, without link-preview bots and the merchant's own
  staff (``is_bot``/``is_staff``, as ``referrals.repository.scan_counts``);
  **unique scanners** are distinct signed-in users, else devices, else (anonymous)
  user-agent strings: the only fingerprint a scan event stores, so anonymous visitors
  with the same browser build count once (an undercount, never an overcount).
- **orders**: orders that were paid (``PAID_STATUSES``; a refunded sale still happened),
  counted on the UTC day they were paid; the code is the one credited with the sale
  (``attributed_code_id``, else the code the buyer came through). **revenue** is
  amount − refunded, netted against the day of the sale.
- **commissions**: amount − reversed of every commission that was not blocked, on the
  day it was earned, against the share it was earned through (``commissions.code_id``).

Queries group in SQL (``GROUP BY``) and return at most one row per group and currency;
nothing is fetched per row. Days are bucketed in UTC by ``day_bucket``, per dialect.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.orm import Session

from relaycode.analytics.period import Period
from relaycode.models import Code, Commission, Offer, Order, ScanEvent, User

Key = Literal["offer", "code", "channel", "referrer", "day", "total"]
PAID_STATUSES = ("paid", "fulfilled", "partially_refunded", "refunded")


@dataclass(frozen=True)
class Scope:
    """Whose figures: a merchant's, an offer's, or one referrer's own (``holder``)."""

    merchant_id: int | None = None
    offer_id: int | None = None
    holder_user_id: int | None = None


def day_bucket(db: Session, column: Any) -> ColumnElement[str]:
    """``YYYY-MM-DD`` of a UTC timestamp column. SQLite keeps naive UTC text; PostgreSQL a
    timestamptz, read in UTC whatever the session's time zone."""
    # Literal SQL, not bound parameters: PostgreSQL must see the GROUP BY expression and
    # the selected one as the same expression, and two parameters would differ.
    if db.get_bind().dialect.name == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), column)
        return func.to_char(utc, literal_column("'YYYY-MM-DD'"))
    return func.strftime(literal_column("'%Y-%m-%d'"), column)


def _fingerprint() -> ColumnElement[str]:
    return case(
        (ScanEvent.user_id.is_not(None), literal("u") + cast(ScanEvent.user_id, String)),
        (ScanEvent.device_id.is_not(None), literal("d") + cast(ScanEvent.device_id, String)),
        else_=literal("a") + func.coalesce(ScanEvent.user_agent, ""),
    )


def _code_scope(q: Select[Any], scope: Scope) -> Select[Any]:
    """Limit a statement joined to ``Code`` (the counted code) to ``scope``."""
    if scope.merchant_id is not None:
        q = q.join(Offer, Offer.id == Code.offer_id).where(Offer.merchant_id == scope.merchant_id)
    if scope.offer_id is not None:
        q = q.where(Code.offer_id == scope.offer_id)
    if scope.holder_user_id is not None:
        q = q.where(Code.holder_user_id == scope.holder_user_id, Code.kind == "share")
    return q


def _grouped(q: Select[Any], key: ColumnElement[Any] | None) -> Select[Any]:
    return q if key is None else q.group_by(key)


def scans(db: Session, scope: Scope, key: Key, period: Period | None) -> list[tuple[Any, int, int]]:
    """``(key, scans, unique scanners)`` per group."""
    keys: dict[Key, Any] = {
        "offer": Code.offer_id,
        "code": Code.id,
        "channel": Code.channel,
        "referrer": Code.holder_user_id,
        "day": day_bucket(db, ScanEvent.created_at),
        "total": None,
    }
    col = keys[key]
    q = (
        select(
            col if col is not None else literal(None),
            func.count(),
            func.count(func.distinct(_fingerprint())),
        )
        .select_from(ScanEvent)
        .join(Code, Code.id == ScanEvent.code_id)
        .where(ScanEvent.is_bot == false(), ScanEvent.is_staff == false())
    )
    if period is not None:
        q = q.where(ScanEvent.created_at >= period.start, ScanEvent.created_at < period.end)
    q = _grouped(_code_scope(q, scope), col)
    return [(k, int(n), int(u)) for k, n, u in db.execute(q).all()]


def orders(
    db: Session, scope: Scope, key: Key, period: Period | None
) -> list[tuple[Any, str, int, int]]:
    """``(key, currency, orders, revenue minor)`` per group and currency."""
    credited = func.coalesce(Order.attributed_code_id, Order.code_id)
    paid_on = func.coalesce(Order.paid_at, Order.created_at)
    keys: dict[Key, Any] = {
        "offer": Order.offer_id,
        "code": credited,
        "channel": Code.channel,
        "referrer": Code.holder_user_id,
        "day": day_bucket(db, paid_on),
        "total": None,
    }
    col = keys[key]
    q = (
        select(
            col if col is not None else literal(None),
            Order.currency,
            func.count(),
            func.coalesce(func.sum(Order.amount_minor - Order.amount_refunded_minor), 0),
        )
        .select_from(Order)
        .outerjoin(Code, Code.id == credited)
        .where(Order.status.in_(PAID_STATUSES))
    )
    if period is not None:
        # ``created_at`` bounds the index scan (an order is paid after it is made).
        q = q.where(Order.created_at < period.end, paid_on >= period.start, paid_on < period.end)
    if scope.merchant_id is not None:
        q = q.where(Order.merchant_id == scope.merchant_id)
    if scope.offer_id is not None:
        q = q.where(Order.offer_id == scope.offer_id)
    if scope.holder_user_id is not None:
        q = q.where(Code.holder_user_id == scope.holder_user_id, Code.kind == "share")
    q = q.group_by(*([col] if col is not None else []), Order.currency)
    return [(k, str(c), int(n), int(r)) for k, c, n, r in db.execute(q).all()]


def commissions(
    db: Session, scope: Scope, key: Key, period: Period | None
) -> list[tuple[Any, str, int]]:
    """``(key, currency, commission minor)`` per group and currency (blocked left out)."""
    keys: dict[Key, Any] = {
        "offer": Order.offer_id,
        "code": Commission.code_id,
        "channel": Code.channel,
        "referrer": Commission.user_id,
        "day": day_bucket(db, Commission.created_at),
        "total": None,
    }
    col = keys[key]
    q = (
        select(
            col if col is not None else literal(None),
            Commission.currency,
            func.coalesce(func.sum(Commission.amount_minor - Commission.reversed_minor), 0),
        )
        .select_from(Commission)
        .join(Order, Order.id == Commission.order_id)
        .outerjoin(Code, Code.id == Commission.code_id)
        .where(Commission.status != "blocked")
    )
    if period is not None:
        q = q.where(Commission.created_at >= period.start, Commission.created_at < period.end)
    if scope.merchant_id is not None:
        q = q.where(Order.merchant_id == scope.merchant_id)
    if scope.offer_id is not None:
        q = q.where(Order.offer_id == scope.offer_id)
    if scope.holder_user_id is not None:
        q = q.where(Commission.user_id == scope.holder_user_id)
    q = q.group_by(*([col] if col is not None else []), Commission.currency)
    return [(k, str(c), int(v)) for k, c, v in db.execute(q).all()]


def commission_status_totals(db: Session, user_id: int) -> list[tuple[str, str, int, int, int]]:
    """``(status, currency, count, amount, reversed)`` of all of a user's commissions."""
    q = (
        select(
            Commission.status,
            Commission.currency,
            func.count(),
            func.coalesce(func.sum(Commission.amount_minor), 0),
            func.coalesce(func.sum(Commission.reversed_minor), 0),
        )
        .where(Commission.user_id == user_id)
        .group_by(Commission.status, Commission.currency)
    )
    return [(str(s), str(c), int(n), int(a), int(r)) for s, c, n, a, r in db.execute(q).all()]


# ---- labels and the tree's codes ---------------------------------------------------------


def offer_titles(db: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = db.execute(select(Offer.id, Offer.title).where(Offer.id.in_(wanted))).all()
    return {int(i): str(title) for i, title in rows}


def sharer_names(db: Session, ids: Iterable[int | None]) -> dict[int, str | None]:
    """Display name, else username; None for an account known only by its device.
    Never the phone number (it is not even read)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = db.execute(
        select(User.id, User.display_name, User.username).where(User.id.in_(wanted))
    ).all()
    return {uid: (display or username) for uid, display, username in rows}


@dataclass(frozen=True)
class CodeFacts:
    id: str
    kind: str
    offer_id: int | None
    parent_id: str | None
    holder_user_id: int | None
    depth: int
    channel: str | None
    status: str
    created_at: Any


_FACTS = (Code.id, Code.kind, Code.offer_id, Code.parent_id, Code.holder_user_id, Code.depth,
          Code.channel, Code.status, Code.created_at)  # fmt: skip


def codes_by_id(db: Session, ids: Iterable[str | None]) -> dict[str, CodeFacts]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = db.execute(select(*_FACTS).where(Code.id.in_(wanted))).all()
    return {r[0]: CodeFacts(*r) for r in rows}


def offer_codes(db: Session, offer_id: int, limit: int) -> list[CodeFacts]:
    """The offer's codes, generation by generation (parents before children), at most
    ``limit``: a cut keeps a tree whose every node's parent is in it."""
    q = (
        select(*_FACTS)
        .where(Code.offer_id == offer_id)
        .order_by(Code.depth, Code.created_at, Code.id)
        .limit(limit)
    )
    return [CodeFacts(*r) for r in db.execute(q).all()]


def shares_of(db: Session, user_id: int, limit: int) -> list[CodeFacts]:
    """A referrer's shares, newest first (ix_codes_holder_list)."""
    q = (
        select(*_FACTS)
        .where(Code.holder_user_id == user_id, Code.kind == "share")
        .order_by(Code.created_at.desc(), Code.id.desc())
        .limit(limit)
    )
    return [CodeFacts(*r) for r in db.execute(q).all()]


def day_of(value: Any) -> date:
    return date.fromisoformat(str(value)[:10])
