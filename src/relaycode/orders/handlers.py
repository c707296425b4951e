"""What an order does when its payment changes (payments/events.py, purpose "order").

Registered once, at import (orders/service.py imports this module). Called inside the
transaction that changed the attempt, exactly once per change: a replayed webhook calls
nobody. A handler that raises rolls the change back (the webhook is retried).
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from relaycode.db.locking import get_for_update
from relaycode.models import Order
from relaycode.orders import paying, refunds
from relaycode.payments.events import PaymentEvent, on_payment_event

log = logging.getLogger(__name__)


def on_order_payment(db: Session, event: PaymentEvent) -> None:
    attempt = event.attempt
    if not attempt.subject_id.isdigit() or len(attempt.subject_id) > 18:
        log.warning("payment attempt %s names no order (%r)", attempt.id, attempt.subject_id)
        return
    order = get_for_update(db, Order, int(attempt.subject_id))
    if order is None:
        log.warning("payment attempt %s names a missing order", attempt.id)
        return
    if order.payment_attempt_id not in (None, attempt.id):
        log.warning("order %s is paid by another attempt than %s", order.id, attempt.id)
        return
    if event.kind == "succeeded":
        paying.mark_paid(db, order, attempt)
    elif event.kind == "failed":
        paying.payment_failed(db, order, attempt)
    elif event.kind == "canceled" and order.status == "pending":
        paying.mark_cancelled(db, order, reason="payment canceled")
    elif event.kind == "refunded" and event.source != "refund":
        refunds.sync_provider_refund(db, order, attempt)


unregister = on_payment_event("order", on_order_payment)
