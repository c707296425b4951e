"""The catalogue of webhook event types a merchant's endpoint may subscribe to.

Every ``emit`` names one of these; a subscription naming anything else is refused.
docs/webhooks.md describes each payload. The logistics notice of the patent ([0100]:
the server tells the logistics provider to ship) is no event of its own: it is an
endpoint of the logistics partner subscribed to ``order.paid`` (and ``order.fulfilled``),
whose payloads carry the order's delivery address.
"""

from __future__ import annotations

EVENT_TYPES: dict[str, str] = {
    "order.created": "An order was placed (not paid yet)",
    "order.paid": "An order's payment succeeded; carries the delivery address (logistics)",
    "order.fulfilled": "The merchant fulfilled an order",
    "order.cancelled": "An order was cancelled before payment",
    "order.refunded": "An order was refunded, fully or in part",
    "payment.succeeded": "A payment succeeded",
    "payment.failed": "A payment failed",
    "commission.created": "A referrer earned a commission on an order",
    "commission.reversed": "A commission was reversed (a refund)",
    "commission.available": "A commission's hold period ended: the referrer may withdraw it",
    "credential.claimed": "A holder claimed an item: their credential was issued",
    "credential.endorsed": "A holder endorsed a credential to someone else (ids only)",
    "credential.redeemed": "A verifier redeemed a credential (uses or balance left)",
    "credential.revoked": "The issuer revoked a credential",
    "webhook.test": "A test message sent from the dashboard or the API",
}
TEST_EVENT = "webhook.test"


def unknown_events(names: list[str]) -> list[str]:
    return [n for n in names if n not in EVENT_TYPES]
