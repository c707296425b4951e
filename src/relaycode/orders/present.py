"""An order as the API (and the pages) show it, and as a CSV row."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from relaycode.codes.answers import code_text
from relaycode.codes.listing import safe_cell
from relaycode.models import Code, Offer, Order, OrderRefund, PaymentAttempt
from relaycode.orders.schemas import ActionOut, OrderOut, PaymentOut, ReferrerOut, RefundOut
from relaycode.payments.provider import BuyerAction, PaymentProvider

if TYPE_CHECKING:
    from relaycode.orders.service import Context

CSV_COLUMNS = (
    "id", "created_at", "status", "offer_id", "offer_title", "quantity", "unit_price_minor",
    "amount_minor", "amount_refunded_minor", "currency", "payment_method", "buyer_user_id",
    "code_id", "attributed_code_id", "referrers", "paid_at", "fulfilled_at", "refunded_at",
)  # fmt: skip


def action_out(action: BuyerAction | None, provider: PaymentProvider | None) -> ActionOut | None:
    if action is None or action.kind == "none":
        return None
    out = ActionOut(kind=action.kind, value=action.value)
    if action.kind == "client_secret":  # Stripe.js needs these too (payments/card_step.py)
        out.publishable_key = getattr(provider, "publishable_key", None)
        out.js_url = getattr(provider, "js_url", None)
    return out


def _code_text(ctx: Context, db: Session, code_id: str | None) -> str | None:
    code = db.get(Code, code_id) if code_id else None
    if code is None or code.format_version != 1:
        return None
    return code_text(ctx.settings, ctx.keyring, code)


def order_out(
    ctx: Context,
    db: Session,
    order: Order,
    *,
    offer: Offer | None = None,
    refunds: Sequence[OrderRefund] | None = None,
    action: BuyerAction | None = None,
    provider: PaymentProvider | None = None,
    created: bool | None = None,
) -> OrderOut:
    offer = offer or db.get(Offer, order.offer_id)
    attempt = db.get(PaymentAttempt, order.payment_attempt_id) if order.payment_attempt_id else None
    if refunds is None:
        refunds = [] if order.amount_refunded_minor == 0 else _refunds(db, order.id)
    chain = [
        ReferrerOut(
            user_id=int(r["user_id"]), code_id=r.get("code_id"), device_id=r.get("device_id")
        )
        for r in order.referrer_chain or []
        if isinstance(r, dict) and isinstance(r.get("user_id"), int)
    ]
    return OrderOut(
        id=order.id,
        status=order.status,
        amount=order.amount_minor,
        amount_refunded=order.amount_refunded_minor,
        unit_price=order.unit_price_minor,
        currency=order.currency,
        quantity=order.quantity,
        offer_id=order.offer_id,
        offer_title=offer.title if offer else None,
        merchant_id=order.merchant_id,
        buyer_user_id=order.buyer_user_id,
        code=_code_text(ctx, db, order.code_id),
        code_id=order.code_id,
        attributed_code_id=order.attributed_code_id,
        bind_mode=order.bind_mode,
        referrer_chain=chain,
        payment=PaymentOut(
            method=order.payment_method,
            provider=attempt.provider if attempt else None,
            attempt_id=attempt.id if attempt else None,
            status=attempt.status if attempt else None,
            failure_code=attempt.failure_code if attempt else None,
            action=action_out(action, provider),
        ),
        delivery_address=order.delivery_address,
        refunds=[refund_out(r, order.currency) for r in refunds],
        created_at=order.created_at,
        paid_at=order.paid_at,
        fulfilled_at=order.fulfilled_at,
        cancelled_at=order.cancelled_at,
        refunded_at=order.refunded_at,
        created=created,
    )


def _refunds(db: Session, order_id: int) -> list[OrderRefund]:
    from relaycode.orders import repository as repo

    return repo.refunds_of(db, [order_id])[order_id]


def refund_out(refund: OrderRefund, currency: str) -> RefundOut:
    return RefundOut(
        id=refund.id,
        amount=refund.amount_minor,
        currency=currency,
        reason=refund.reason,
        created_at=refund.created_at,
    )


def csv_row(order: Order, offer: Offer) -> list[object]:
    referrers = " ".join(
        str(r.get("user_id")) for r in order.referrer_chain or [] if isinstance(r, dict)
    )
    return [
        order.id, order.created_at, order.status, order.offer_id, offer.title, order.quantity,
        order.unit_price_minor, order.amount_minor, order.amount_refunded_minor, order.currency,
        order.payment_method, order.buyer_user_id, order.code_id, order.attributed_code_id,
        referrers, order.paid_at, order.fulfilled_at, order.refunded_at,
    ]  # fmt: skip


def csv_chunks(rows: Iterable[tuple[Order, Offer]], *, every: int = 200) -> Iterator[bytes]:
    """The header, then one line per order, as UTF-8 CSV (CRLF); formula-safe cells."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for n, (order, offer) in enumerate(rows, start=1):
        writer.writerow([safe_cell(v) for v in csv_row(order, offer)])
        if n % every == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
