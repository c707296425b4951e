"""A payment provider that settles later, the way Alipay or WeChat Pay do: ``start``
leaves the payment pending, and the test settles it (as their notification would)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.config import Settings
from relaycode.models import PaymentAttempt
from relaycode.payments.provider import (
    BadNotification,
    Notification,
    PaymentRefused,
    PaymentRequest,
    ProviderEventData,
    ProviderPayment,
    ProviderRefund,
    RefundRequest,
    Status,
)

SETTING = "later_provider:LaterProvider"


class LaterProvider:
    name = "later"

    @classmethod
    def from_settings(cls, settings: Settings) -> LaterProvider:
        return cls()

    def start(self, db: Session, request: PaymentRequest) -> ProviderPayment:
        return ProviderPayment(
            f"later:{request.attempt_id}", "pending", request.amount_minor, request.currency
        )

    def retrieve(self, db: Session, provider_ref: str) -> ProviderPayment:
        attempt = db.scalar(
            select(PaymentAttempt).where(PaymentAttempt.provider_ref == provider_ref)
        )
        assert attempt is not None
        status: Status = "succeeded" if attempt.status == "succeeded" else "pending"
        return ProviderPayment(provider_ref, status, attempt.amount_minor, attempt.currency)

    def refund(self, db: Session, request: RefundRequest) -> ProviderRefund:
        raise PaymentRefused("this test provider does not refund")

    def parse_notification(self, notification: Notification) -> list[ProviderEventData]:
        raise BadNotification("this test provider takes no notifications")
