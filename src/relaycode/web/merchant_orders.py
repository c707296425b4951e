"""A merchant's orders in the dashboard: the list (by status, a page at a time, CSV), one
order with its referrers, and the actions: fulfil, refund in full or in part (each
behind a confirmation; the orders service decides and reverses commissions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from relaycode.deps import DbDep, ReadDbDep, StateDep
from relaycode.errors import AppError, NotFound
from relaycode.identity.auth import Principal
from relaycode.models import Merchant, Offer, Order, User
from relaycode.models.order import ORDER_STATUSES
from relaycode.money import MoneyError, to_minor
from relaycode.orders import service as orders
from relaycode.web import i18n
from relaycode.web.buy import new_key
from relaycode.web.dashboard import FlashDbDep, MerchantEditor, MerchantPage, can_edit
from relaycode.web.flash import clear_flash, set_flash, take_flash
from relaycode.web.order_pages import address_lines, payment_of, payment_status
from relaycode.web.paging import PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page, price_text, redirect
from relaycode.web.session import FormDep, SignedInDep, text
from relaycode.web.shares import sharer_name

router = APIRouter()
_DONE = "order_done"  # the flash a successful action leaves for the page it returns to


@dataclass(frozen=True)
class Row:
    order: Order
    offer_title: str
    buyer: str


def orders_path(slug: str) -> str:
    return f"/dashboard/m/{slug}/orders"


def _names(db: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    users = db.scalars(select(User).where(User.id.in_(user_ids)))
    return {u.id: sharer_name(u.username, u.display_name) or f"#{u.id}" for u in users}


def _status(request: Request) -> str | None:
    raw = request.query_params.get("status") or None
    return raw if raw in ORDER_STATUSES else None


def _notice(request: Request, flash: dict[str, Any] | None) -> str | None:
    if not flash:
        return None
    t = i18n.Translator(i18n.pick_lang(request))
    locale = i18n.number_locale(request, t.lang)
    if flash.get("done") == "fulfilled":
        return t("orders.merchant.done_fulfilled", id=flash.get("id", ""))
    if flash.get("done") == "refunded":
        minor, currency = flash.get("amount"), flash.get("currency")
        amount = (
            price_text(minor, currency, locale)
            if isinstance(minor, int) and isinstance(currency, str)
            else ""
        )
        return t("orders.merchant.done_refunded", id=flash.get("id", ""), amount=amount)
    return None


@router.get("/dashboard/m/{slug}/orders")
def orders_page(
    request: Request,
    merchant: MerchantPage,
    db: ReadDbDep,
    flash_db: FlashDbDep,
    principal: SignedInDep,
) -> Response:
    status = _status(request)
    found = orders.merchant_orders(
        db, merchant.id, status=status, cursor=cursor_of(request), limit=PAGE_SIZE
    )
    names = _names(db, {o.buyer_user_id for o, _offer in found.items})
    rows = [Row(o, offer.title, names.get(o.buyer_user_id, "")) for o, offer in found.items]
    # The API's export (orders/endpoints.py), which the session cookie opens too.
    csv_url = f"/api/v1/merchants/{merchant.id}/orders.csv" + (
        f"?status={status}" if status else ""
    )
    context = {
        "user": principal.user,
        "merchant": merchant,
        "orders": rows,
        "orders_pager": pager(request, found, anchor="orders-h"),
        "statuses": ORDER_STATUSES,
        "status": status,
        "csv_url": csv_url,
        "can_act": can_edit(db, principal, merchant),
        "notice": _notice(request, take_flash(request, flash_db, _DONE)),
    }
    return clear_flash(request, page(request, "merchant_orders.html", context))


def _order(db: Session, merchant: Merchant, order_id: int) -> Order:
    order = db.get(Order, order_id) if 0 < order_id < 2**63 else None
    if order is None or order.merchant_id != merchant.id:
        raise NotFound("no such order", code="order_not_found")
    return order


def _detail(
    request: Request,
    db: Session,
    principal: Principal,
    merchant: Merchant,
    order: Order,
    *,
    notice: str | None = None,
    errors: list[Any] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    offer = db.get(Offer, order.offer_id)
    chain = [r for r in (order.referrer_chain or []) if isinstance(r, dict)]
    names = _names(db, {order.buyer_user_id, *(int(r["user_id"]) for r in chain)})
    editable = can_edit(db, principal, merchant)
    context = {
        "user": principal.user,
        "merchant": merchant,
        "order": order,
        "offer": offer,
        "buyer": names.get(order.buyer_user_id, ""),
        "referrers": [(i, names.get(int(r["user_id"]), "")) for i, r in enumerate(chain, 1)],
        "payment_status": payment_status(payment_of(db, order)),
        "address": address_lines(order.delivery_address),
        "refundable_minor": refundable(order),
        "refund_key": new_key(),
        "can_act": editable,
        "can_refund": editable,
        "notice": notice,
        "errors": errors or [],
        "form": form or {},
    }
    return page(request, "merchant_order.html", context, status=status)


def refundable(order: Order) -> int:
    if order.status not in ("paid", "fulfilled", "partially_refunded"):
        return 0
    return max(order.amount_minor - order.amount_refunded_minor, 0)


@router.get("/dashboard/m/{slug}/orders/{order_id}")
def merchant_order(
    request: Request,
    order_id: int,
    merchant: MerchantPage,
    db: ReadDbDep,
    flash_db: FlashDbDep,
    principal: SignedInDep,
) -> Response:
    order = _order(db, merchant, order_id)
    notice = _notice(request, take_flash(request, flash_db, _DONE))
    return clear_flash(request, _detail(request, db, principal, merchant, order, notice=notice))


def _done(request: Request, path: str, data: dict[str, Any]) -> Response:
    response = redirect(request, path)
    set_flash(request, response, path.split("#", 1)[0], _DONE, data)
    return response


@router.post("/dashboard/m/{slug}/orders/{order_id}/fulfil")
def fulfil(
    request: Request,
    order_id: int,
    form: FormDep,
    merchant: MerchantEditor,
    db: DbDep,
    state: StateDep,
    principal: SignedInDep,
) -> Response:
    order = _order(db, merchant, order_id)
    orders.fulfil_order(db, state, order_id=order.id, actor=principal)
    back = orders_path(merchant.slug)
    path = back if text(form, "back") == "list" else f"{back}/{order.id}"
    return _done(request, path, {"done": "fulfilled", "id": order.id})


def _refund_amount(request: Request, form: FormData, order: Order) -> int | None:
    """None: all that is left (the full-refund form); else the typed amount in minor
    units, read the way the reader's locale writes numbers."""
    if text(form, "kind") != "partial":
        return None
    locale = i18n.number_locale(request, i18n.pick_lang(request))
    return to_minor(text(form, "amount")[:32], order.currency, locale)


@router.post("/dashboard/m/{slug}/orders/{order_id}/refund")
def refund(
    request: Request,
    order_id: int,
    form: FormDep,
    merchant: MerchantEditor,
    db: DbDep,
    state: StateDep,
    principal: SignedInDep,
) -> Response:
    order = _order(db, merchant, order_id)
    partial = text(form, "kind") == "partial"
    reason = text(form, "reason" if partial else "reason_full")[:200] or None
    shown = {"amount": text(form, "amount")[:32], "reason": text(form, "reason")[:200]}
    try:
        amount = _refund_amount(request, form, order)
    except MoneyError:
        errors: list[Any] = ["orders.error.bad_amount"]
        return _detail(request, db, principal, merchant, order, errors=errors, form=shown,
                       status=422)  # fmt: skip
    before = order.amount_refunded_minor
    try:
        with db.begin_nested():
            orders.refund_order(
                db,
                state,
                order_id=order.id,
                actor=principal,
                amount_minor=amount,
                idempotency_key=text(form, "idempotency_key")[:200] or new_key(),
                reason=reason,
            )
    except AppError as err:
        if err.status >= 500:
            raise
        db.refresh(order)
        key = f"orders.error.{err.code}"
        errors = [key if i18n.Translator("en").has(key) else ("orders.error.generic",
                                                              (("code", err.code),))]  # fmt: skip
        return _detail(request, db, principal, merchant, order, errors=errors, form=shown,
                       status=err.status)  # fmt: skip
    db.refresh(order)
    done = {"done": "refunded", "id": order.id, "currency": order.currency,
            "amount": order.amount_refunded_minor - before}  # fmt: skip
    return _done(request, f"{orders_path(merchant.slug)}/{order.id}", done)
