"""HTTP for orders (thin): place, read, list, export, fulfil, cancel, refund.

docs/orders.md is the contract. The services (orders/service.py) take no Request, so the
checkout pages call the very same functions.
"""

# No ``from __future__ import annotations``: FastAPI reads the dependency closures'
# signatures at runtime.

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from relaycode.db.base import is_db_id
from relaycode.deps import DbDep, ReadDbDep, StateDep, get_read_db
from relaycode.errors import NotFound
from relaycode.identity.auth import Principal, PrincipalDep, UserDep, get_principal
from relaycode.lists import DEFAULT_LIMIT, CursorQuery, LimitQuery, ListOut
from relaycode.merchants import repository as merchant_repo
from relaycode.merchants.service import READERS, authorize
from relaycode.models import Merchant
from relaycode.orders import present, service
from relaycode.orders import repository as repo
from relaycode.orders.access import ORDERS_READ
from relaycode.orders.schemas import CancelIn, OrderIn, OrderOut, RefundIn
from relaycode.state import AppState

router = APIRouter(tags=["orders"])

KeyHeader = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Required: a retried submit with the same key (and body) makes one order",
    ),
]
OptionalKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="A retry with the same key refunds once (derived from the body if absent)",
    ),
]
OrderId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The order's id")]
StatusQuery = Annotated[
    str | None,
    Query(
        alias="status",
        max_length=24,
        pattern=r"^[a-z_]+$",
        description="Only orders in this state",
    ),
]


def _merchant_reader(
    merchant_id: int,
    who: Principal = Depends(get_principal),
    db: Session = Depends(get_read_db, scope="function"),
) -> Merchant:
    merchant = merchant_repo.merchant_by_id(db, merchant_id) if is_db_id(merchant_id) else None
    if merchant is None:
        raise NotFound("no such merchant", code="merchant_not_found")
    authorize(db, who, merchant, roles=READERS, scope=ORDERS_READ)
    return merchant


MerchantReader = Annotated[Merchant, Depends(_merchant_reader)]


@router.post("/orders", status_code=status.HTTP_201_CREATED)
def place_order(
    data: OrderIn,
    response: Response,
    user: UserDep,
    principal: PrincipalDep,
    idempotency_key: KeyHeader,
    db: DbDep,
    state: StateDep,
) -> OrderOut:
    """Buy through an offer or share code (201). The same `Idempotency-Key` and body
    again answers the same order (200, `created` false); the key with another body is a
    422 `idempotency_key_reused`. A wallet payment settles at once (`status` "paid"), or
    is a 409 `insufficient_funds` and no order is made; a card payment answers
    `payment.action` (a Stripe client secret) and the order is paid by Stripe's webhook."""
    placed = service.place_order(
        db,
        state,
        buyer=user,
        code_text=data.code,
        quantity=data.quantity,
        payment_method=data.payment_method,
        idempotency_key=idempotency_key,
        delivery_address=data.delivery_address,
        device_id=principal.device.id if principal.device is not None else None,
    )
    if not placed.created:
        response.status_code = status.HTTP_200_OK
    return present.order_out(
        state, db, placed.order, action=placed.action, provider=placed.provider,
        created=placed.created,
    )  # fmt: skip


@router.get("/orders/{order_id}")
def get_order(
    order_id: OrderId, principal: PrincipalDep, db: ReadDbDep, state: StateDep
) -> OrderOut:
    """An order, for its buyer and the merchant's team (404 `order_not_found` otherwise)."""
    order = service.visible_order(db, principal, order_id)
    return present.order_out(state, db, order)


@router.get("/me/orders")
def my_orders(
    user: UserDep,
    db: ReadDbDep,
    state: StateDep,
    status_: StatusQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[OrderOut]:
    """Your orders, newest first, a page at a time."""
    page = service.buyer_orders(db, user.id, status=status_, cursor=cursor, limit=limit)
    return _page(state, db, page.items, page.next_cursor)


def _page(state: AppState, db: Session, rows: list, next_cursor: str | None) -> ListOut[OrderOut]:  # type: ignore[type-arg]
    refunds = repo.refunds_of(db, [o.id for o, _ in rows if o.amount_refunded_minor])
    items = [
        present.order_out(state, db, o, offer=offer, refunds=refunds.get(o.id, []))
        for o, offer in rows
    ]
    return ListOut(items=items, next_cursor=next_cursor)


@router.get("/merchants/{merchant_id}/orders")
def merchant_orders(
    merchant: MerchantReader,
    db: ReadDbDep,
    state: StateDep,
    status_: StatusQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[OrderOut]:
    """The merchant's orders, newest first (its team; keys with `orders:read`)."""
    page = service.merchant_orders(db, merchant.id, status=status_, cursor=cursor, limit=limit)
    return _page(state, db, page.items, page.next_cursor)


def _csv(state: AppState, merchant_id: int, status_: str | None) -> Iterator[bytes]:
    # Its own read-only session: the request's has ended by the time the body streams.
    session = state.db.readonly_sessionmaker()
    try:
        with session.begin():
            yield from present.csv_chunks(repo.merchant_all(session, merchant_id, status=status_))
    finally:
        session.close()


@router.get(
    "/merchants/{merchant_id}/orders.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_orders(
    merchant: MerchantReader, state: StateDep, status_: StatusQuery = None
) -> StreamingResponse:
    """Every order of the merchant as CSV (streamed, newest first; formula-safe cells)."""
    service.check_status(status_)
    headers = {
        "Content-Disposition": (
            f'attachment; filename="relaycode-merchant-{merchant.id}-orders.csv"'
        ),
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(
        _csv(state, merchant.id, status_), media_type="text/csv; charset=utf-8", headers=headers
    )


@router.post("/orders/{order_id}/fulfil")
def fulfil_order(
    order_id: OrderId, principal: PrincipalDep, db: DbDep, state: StateDep
) -> OrderOut:
    """paid → fulfilled (the merchant's owners and staff; keys with `orders:write`)."""
    order = service.fulfil_order(db, state, order_id=order_id, actor=principal)
    return present.order_out(state, db, order)


@router.post("/orders/{order_id}/cancel")
def cancel_order(
    order_id: OrderId,
    principal: PrincipalDep,
    db: DbDep,
    state: StateDep,
    data: CancelIn | None = None,
) -> OrderOut:
    """pending → cancelled (the buyer, or the merchant's team); 409 `not_cancellable`
    once paid (refund it instead)."""
    reason = data.reason if data else None
    order = service.cancel_order(db, state, order_id=order_id, actor=principal, reason=reason)
    return present.order_out(state, db, order)


@router.post("/orders/{order_id}/refund")
def refund_order(
    order_id: OrderId,
    principal: PrincipalDep,
    db: DbDep,
    state: StateDep,
    idempotency_key: OptionalKeyHeader = None,
    data: RefundIn | None = None,
) -> OrderOut:
    """Refund all that is left, or `{"amount": minor}` of it (the merchant's owners and
    staff). Commissions are reversed in proportion. Without an `Idempotency-Key` the
    same body twice refunds once."""
    done = service.refund_order(
        db,
        state,
        order_id=order_id,
        actor=principal,
        amount_minor=data.amount if data else None,
        idempotency_key=idempotency_key,
        reason=data.reason if data else None,
    )
    return present.order_out(state, db, done.order)
