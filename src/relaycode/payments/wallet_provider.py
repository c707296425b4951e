"""The wallet as a payment provider (``name = "wallet"``): settles in the caller's transaction.

``start`` is one ledger posting, buyer's ``user_wallet`` → the merchant's ``merchant``
account, with the key ``<purpose>:<subject>:pay`` ("order:42:pay"): ``ledger.post`` locks
both accounts in primary-key order and refuses with ``insufficient_funds`` (409) when the
wallet does not cover it, so concurrent payments never take a wallet below zero. The
error rolls back the caller's transaction with it (docs/orders.md). ``refund`` is the
reverse posting, merchant → wallet, once per refund id. There are no notifications.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.config import Settings
from relaycode.db.locking import get_for_update
from relaycode.models import LedgerAccount, PaymentAttempt
from relaycode.payments import ledger
from relaycode.payments.provider import (
    BadNotification,
    Notification,
    PaymentRefused,
    PaymentRequest,
    ProviderEventData,
    ProviderFailed,
    ProviderPayment,
    ProviderRefund,
    RefundRequest,
    Status,
)

PAY = "order_payment"  # ledger transaction kinds
REFUND = "order_refund"
# What the wallet pays, and the ledger kind of each payment (a shop's payment code:
# receipts/, Fig. 11). Top-ups are money coming in, never a wallet payment.
PAY_KINDS = {"order": PAY, "shop_payment": "shop_payment"}
REF_PREFIX = "ledger:"  # provider_ref = "ledger:<transaction id>"


def _accounts(
    db: Session, currency: str, user_id: int, merchant_id: int
) -> tuple[LedgerAccount, LedgerAccount]:
    """The payer's wallet and the merchant's account, the merchant's locked first.

    Created in a fixed order (wallet, then merchant: accounts.account). Every posting of
    a merchant's orders (payments, commissions, refunds: orders/paying.py) takes the
    merchant's lock before any other account's, so a payment never holds a buyer's
    wallet while waiting for the merchant held by a refund to that same wallet."""
    wallet = ledger.account(db, "user_wallet", currency, user_id=user_id)
    merchant = ledger.account(db, "merchant", currency, merchant_id=merchant_id)
    locked = get_for_update(db, LedgerAccount, merchant.id)
    assert locked is not None
    return wallet, locked


class WalletProvider:
    name = "wallet"

    @classmethod
    def from_settings(cls, settings: Settings) -> WalletProvider:
        return cls()

    def start(self, db: Session, request: PaymentRequest) -> ProviderPayment:
        if request.payer_user_id is None or request.merchant_id is None:
            raise PaymentRefused("a wallet payment needs a payer and a merchant")
        kind = PAY_KINDS.get(request.purpose)
        if kind is None:
            raise PaymentRefused(
                "the wallet pays orders and shops only", code="payment_method_unavailable"
            )
        wallet, merchant = _accounts(
            db, request.currency, request.payer_user_id, request.merchant_id
        )
        txn = ledger.post(
            db,
            kind=kind,
            lines=[(wallet, -request.amount_minor), (merchant, request.amount_minor)],
            reference=(request.purpose, request.subject_id),
            idempotency_key=f"{request.purpose}:{request.subject_id}:pay",
            memo=request.description[:200] or None,
        )
        return ProviderPayment(
            provider_ref=f"{REF_PREFIX}{txn.id}",
            status="succeeded",
            amount_minor=request.amount_minor,
            currency=request.currency,
        )

    def retrieve(self, db: Session, provider_ref: str) -> ProviderPayment:
        attempt = db.scalar(
            select(PaymentAttempt).where(
                PaymentAttempt.provider == self.name, PaymentAttempt.provider_ref == provider_ref
            )
        )
        if attempt is None:
            raise ProviderFailed("no wallet payment has this reference")
        status: Status = attempt.status  # type: ignore[assignment]
        return ProviderPayment(
            provider_ref=provider_ref,
            status=status,
            amount_minor=attempt.amount_minor,
            currency=attempt.currency,
            amount_refunded=attempt.amount_refunded,
        )

    def refund(self, db: Session, request: RefundRequest) -> ProviderRefund:
        attempt = db.get(PaymentAttempt, request.attempt_id)
        if attempt is None or attempt.payer_user_id is None or attempt.merchant_id is None:
            raise ProviderFailed("no wallet payment to refund")
        wallet, merchant = _accounts(
            db, request.currency, attempt.payer_user_id, attempt.merchant_id
        )
        txn = ledger.post(
            db,
            kind=REFUND,
            lines=[(merchant, -request.amount_minor), (wallet, request.amount_minor)],
            reference=(attempt.purpose, attempt.subject_id),
            idempotency_key=f"refund:{request.refund_id}",
            memo=(request.reason or "")[:200] or None,
        )
        return ProviderRefund(
            provider_ref=f"{REF_PREFIX}{txn.id}",
            status="succeeded",
            amount_minor=request.amount_minor,
        )

    def parse_notification(self, notification: Notification) -> list[ProviderEventData]:
        raise BadNotification("the wallet sends no notifications", code="bad_event")
