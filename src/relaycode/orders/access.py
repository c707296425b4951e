"""Finding an order and checking who may see it or act on it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from relaycode.db.base import is_db_id
from relaycode.db.locking import get_for_update
from relaycode.errors import Forbidden, NotFound, Unauthorized
from relaycode.identity.auth import Principal
from relaycode.merchants import repository as merchant_repo
from relaycode.merchants.service import EDITORS, READERS, authorize
from relaycode.models import Merchant, Order

ORDERS_READ = "orders:read"  # merchant API key scopes (merchants/schemas.py)
ORDERS_WRITE = "orders:write"


def get_order(db: Session, order_id: int, *, lock: bool = False) -> Order:
    found = None
    if is_db_id(order_id):
        found = get_for_update(db, Order, order_id) if lock else db.get(Order, order_id)
    if found is None:
        raise NotFound("no such order", code="order_not_found")
    return found


def merchant_of(db: Session, order: Order) -> Merchant:
    merchant = merchant_repo.merchant_by_id(db, order.merchant_id)
    if merchant is None:
        raise NotFound("no such order", code="order_not_found")
    return merchant


def visible_order(db: Session, actor: Principal, order_id: int) -> Order:
    """The order, for its buyer or the merchant's members (and operators, keys with
    ``orders:read``); anyone else gets ``order_not_found`` (404), not a hint it exists."""
    if actor.is_anonymous:
        raise Unauthorized("sign in first", code="not_signed_in")
    order = get_order(db, order_id)
    if actor.user is not None and actor.user.id == order.buyer_user_id:
        return order
    try:
        authorize(db, actor, merchant_of(db, order), roles=READERS, scope=ORDERS_READ)
    except (Forbidden, Unauthorized):
        raise NotFound("no such order", code="order_not_found") from None
    return order


def staff_order(db: Session, actor: Principal, order_id: int) -> Order:
    """The order, row-locked, once ``actor`` may act for its merchant (owner or staff)."""
    order = visible_order(db, actor, order_id)
    authorize(db, actor, merchant_of(db, order), roles=EDITORS, scope=ORDERS_WRITE)
    return get_order(db, order.id, lock=True)
