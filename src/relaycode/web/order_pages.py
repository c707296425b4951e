"""The buyer's side of orders: an order's page (status, amount, payment, the card step
for a card payment, live updates: static/order.js) and "my orders"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from relaycode.codes.answers import code_text
from relaycode.deps import ReadDbDep, StateDep
from relaycode.errors import AppError, NotFound
from relaycode.identity import repository as id_repo
from relaycode.merchants import repository as merchant_repo
from relaycode.models import Code, Offer, Order, PaymentAttempt
from relaycode.orders import paying
from relaycode.orders import service as orders
from relaycode.payments.attempts import StartedPayment
from relaycode.payments.card_step import CardStep, card_step, card_step_csp
from relaycode.state import AppState
from relaycode.web.paging import PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page
from relaycode.web.session import SignedInDep
from relaycode.web.shares import sharer_name

router = APIRouter()
_ADDRESS_LINES = (("name",), ("phone",), ("line1",), ("line2",), ("city", "region", "postcode"))


def order_path(order_id: int) -> str:
    return f"/orders/{order_id}"


def address_lines(address: dict[str, Any] | None) -> list[str]:
    """The delivery address as the lines of a label."""
    if not address:
        return []
    lines = []
    for names in _ADDRESS_LINES:
        parts = [str(address[n]) for n in names if address.get(n)]
        if parts:
            lines.append(" ".join(parts))
    if address.get("country"):
        lines.append(str(address["country"]))
    return lines


def payment_of(db: Session, order: Order) -> PaymentAttempt | None:
    return db.get(PaymentAttempt, order.payment_attempt_id) if order.payment_attempt_id else None


def payment_status(attempt: PaymentAttempt | None) -> str:
    return attempt.status if attempt is not None else "none"


def name_of(db: Session, user_id: int | None) -> str | None:
    user = id_repo.user_by_id(db, user_id) if user_id is not None else None
    return sharer_name(user.username, user.display_name) if user is not None else None


def _card(
    db: Session, state: AppState, order: Order, attempt: PaymentAttempt | None
) -> CardStep | None:
    """The card step while a card payment waits for the buyer (Stripe's client secret is
    asked of Stripe each time the page is drawn: it is never stored)."""
    if order.status != "pending" or attempt is None:
        return None
    try:
        provider = state.payments.named(attempt.provider)
        action = paying.pending_action(db, provider, order)
        if action is None:
            return None
        return card_step(provider, StartedPayment(attempt, action, False))
    except AppError:
        return None  # Stripe unreachable or unconfigured: the page still shows the order


def _offer_link(db: Session, state: AppState, order: Order) -> str:
    """Back to what was bought: the code it came through, else the offer's page."""
    code = db.get(Code, order.code_id) if order.code_id else None
    text = code_text(state.settings, state.keyring, code) if code is not None else None
    if text:
        return f"/C/{text.rsplit('/', 1)[-1]}?seen=1"
    return f"/offers/{order.offer_id}"


@router.get("/orders/{order_id}")
def order_page(
    request: Request, order_id: int, db: ReadDbDep, state: StateDep, principal: SignedInDep
) -> Response:
    user = principal.signed_in_user()
    order = db.get(Order, order_id) if 0 < order_id < 2**63 else None
    if order is None or order.buyer_user_id != user.id:
        # Someone else's order does not exist, as far as this reader can tell.
        raise NotFound("no such order", code="order_not_found")
    attempt = payment_of(db, order)
    merchant = merchant_repo.merchant_by_id(db, order.merchant_id)
    offer = db.get(Offer, order.offer_id)
    chain = order.referrer_chain or []
    first = chain[0] if chain and isinstance(chain[0], dict) else {}
    card = _card(db, state, order, attempt)
    context = {
        "user": user,
        "order": order,
        "offer": offer,
        "merchant": merchant,
        "payment_status": payment_status(attempt),
        "address": address_lines(order.delivery_address),
        "sharer": name_of(db, first.get("user_id")),
        "offer_link": _offer_link(db, state, order),
        "card": card,
    }
    response = page(request, "order.html", context)
    if card is not None:
        response.headers["Content-Security-Policy"] = card_step_csp(card.js_url)
    return response


@router.get("/me/orders")
def my_orders(request: Request, db: ReadDbDep, principal: SignedInDep) -> Response:
    user = principal.signed_in_user()
    found = orders.buyer_orders(db, user.id, cursor=cursor_of(request), limit=PAGE_SIZE)
    merchants = {
        o.merchant_id: merchant_repo.merchant_by_id(db, o.merchant_id) for o, _offer in found.items
    }
    context = {
        "user": user,
        "orders": [(o, offer, merchants[o.merchant_id]) for o, offer in found.items],
        "orders_pager": pager(request, found, anchor="orders-h"),
    }
    return page(request, "my_orders.html", context)
