"""Queries of orders: by key, a buyer's and a merchant's lists (keyset pages), refunds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relaycode.db.locking import ensure_write_lock
from relaycode.db.pagination import Order as PageOrder
from relaycode.db.pagination import Page, page_all, paginate
from relaycode.models import Offer, Order, OrderRefund

# Newest first; the id breaks ties (ix_orders_merchant_list, ix_orders_buyer_list).
ORDER_LIST = PageOrder("orders", (Order.created_at, Order.id), (datetime, int), descending=True)


def insert_once(db: Session, model: type[Any], values: dict[str, Any]) -> int | None:
    """The new row's id, or None when a row with its unique key exists (on PostgreSQL
    after waiting for a concurrent inserter's transaction to end)."""
    ensure_write_lock(db)
    table = cast(Table, model.__table__)
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)
    row = db.execute(stmt).first()
    return None if row is None else int(row[0])


def by_key(db: Session, buyer_user_id: int, key: str) -> Order | None:
    return db.scalar(
        select(Order).where(Order.buyer_user_id == buyer_user_id, Order.idempotency_key == key)
    )


def refund_by_key(db: Session, order_id: int, key: str) -> OrderRefund | None:
    return db.scalar(
        select(OrderRefund).where(
            OrderRefund.order_id == order_id, OrderRefund.idempotency_key == key
        )
    )


def refunds_of(db: Session, order_ids: list[int]) -> dict[int, list[OrderRefund]]:
    out: dict[int, list[OrderRefund]] = {i: [] for i in order_ids}
    if not order_ids:
        return out
    q = select(OrderRefund).where(OrderRefund.order_id.in_(order_ids)).order_by(OrderRefund.id)
    for refund in db.scalars(q):
        out[refund.order_id].append(refund)
    return out


def _listed(status: str | None) -> Select[Order, Offer]:
    q = select(Order, Offer).join(Offer, Offer.id == Order.offer_id)
    return q if status is None else q.where(Order.status == status)


def buyer_page(
    db: Session, buyer_user_id: int, *, status: str | None, cursor: str | None, limit: int
) -> Page[tuple[Order, Offer]]:
    q = _listed(status).where(Order.buyer_user_id == buyer_user_id)
    return paginate(db, q, ORDER_LIST, cursor=cursor, limit=limit)


def merchant_page(
    db: Session, merchant_id: int, *, status: str | None, cursor: str | None, limit: int
) -> Page[tuple[Order, Offer]]:
    q = _listed(status).where(Order.merchant_id == merchant_id)
    return paginate(db, q, ORDER_LIST, cursor=cursor, limit=limit)


def merchant_all(
    db: Session, merchant_id: int, *, status: str | None
) -> Iterator[tuple[Order, Offer]]:
    """Every order of the merchant, newest first, a keyset page at a time (CSV)."""
    q = _listed(status).where(Order.merchant_id == merchant_id)
    for row in page_all(db, q, ORDER_LIST):
        yield cast(tuple[Order, Offer], row)
