"""Paying a shop through its payment code, and the receipt credential it earns (Fig. 11).

Once per (payer, Idempotency-Key): the ``shop_payments`` row is inserted ``ON CONFLICT
DO NOTHING`` before the provider is asked (orders do the same), so fifty concurrent
retries make one row, one wallet posting (``payments.attempts.start_payment``, whose
wallet provider posts user_wallet → merchant under the key ``shop_payment:<id>:pay``)
and one receipt; the same key with another body is 422 ``idempotency_key_reused``.
Insufficient funds is the ledger's 409, which rolls the whole request back: no row,
no attempt, no receipt. Only providers that settle at once (the wallet) are taken:
a card's receipt would wait for a webhook, which this slice does not handle yet.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.credentials.direct import issue_to, template_for
from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.errors import Conflict, InvalidInput
from relaycode.merchants import repository as merchant_repo
from relaycode.models import Credential, Merchant, ShopPayment, User
from relaycode.money import MAX_MINOR
from relaycode.notify.service import notify_merchant_staff, notify_user
from relaycode.orders.repository import insert_once
from relaycode.payments.attempts import start_payment
from relaycode.payments.provider import ProviderUnavailable
from relaycode.receipts import paycodes
from relaycode.state import AppState

INSTANT = ("wallet",)  # methods whose provider settles in the request


def instant_methods(state: AppState, merchant_slug: str | None) -> list[str]:
    """The methods a payment code of this merchant can take now: settled in the request
    (``INSTANT``) by a provider loaded for it."""
    takes = set(state.payments.methods(merchant_slug))
    return [m for m in INSTANT if m in takes]


@dataclass(frozen=True)
class Paid:
    payment: ShopPayment
    receipt: Credential
    merchant: Merchant
    created: bool  # False: the key named a payment made before


def _hash(code_text: str, amount: int, method: str) -> str:
    body = json.dumps([code_text.strip(), amount, method], separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def check_amount(amount: object) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_MINOR:
        raise InvalidInput(
            f"the amount is a whole number of minor units, 1 to {MAX_MINOR}", code="bad_amount"
        )
    return amount


def _key(key: str) -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= 200:
        raise InvalidInput("an idempotency key has 1 to 200 characters", code="bad_idempotency_key")
    return key


def by_key(db: Session, payer_id: int, key: str) -> ShopPayment | None:
    return db.scalar(
        select(ShopPayment).where(
            ShopPayment.payer_user_id == payer_id, ShopPayment.idempotency_key == key
        )
    )


def _replay(db: Session, sp: ShopPayment, digest: str) -> Paid:
    if sp.request_hash != digest:
        raise InvalidInput(
            "this Idempotency-Key was used for another payment", code="idempotency_key_reused"
        )
    receipt = db.get(Credential, sp.credential_id) if sp.credential_id else None
    merchant = merchant_repo.merchant_by_id(db, sp.merchant_id)
    if receipt is None or merchant is None:  # not possible: paid and receipted together
        raise Conflict("this payment is not settled; try again", code="payment_conflict")
    return Paid(sp, receipt, merchant, created=False)


def pay(
    db: Session,
    state: AppState,
    payer: User,
    *,
    code_text: str,
    amount: int,
    method: str,
    idempotency_key: str,
) -> Paid:
    key = _key(idempotency_key)
    amount = check_amount(amount)
    digest = _hash(code_text, amount, method)
    earlier = by_key(db, payer.id, key)
    if earlier is not None:
        return _replay(db, earlier, digest)
    pc = paycodes.from_text(db, state.settings, state.keyring, code_text)
    merchant = merchant_repo.merchant_by_id(db, pc.merchant_id)
    assert merchant is not None  # payment_codes.merchant_id is a cascading foreign key
    if method not in pc.methods or method not in INSTANT:
        raise InvalidInput(
            "this shop does not take that payment method here",
            code="payment_method_unavailable", details={"methods": list(pc.methods)},
        )  # fmt: skip
    try:
        provider = state.payments.for_merchant(merchant.slug, method)
    except ProviderUnavailable as exc:
        raise InvalidInput(exc.message, code="payment_method_unavailable") from None
    now = utcnow()
    new_id = insert_once(db, ShopPayment, {
        "payment_code_id": pc.id, "merchant_id": merchant.id, "payer_user_id": payer.id,
        "amount_minor": amount, "currency": pc.currency, "payment_method": method,
        "status": "pending", "idempotency_key": key, "request_hash": digest,
        "created_at": now,
    })  # fmt: skip
    if new_id is None:  # a concurrent retry made it and committed
        earlier = by_key(db, payer.id, key)
        if earlier is None:
            raise Conflict("try again", code="payment_conflict")
        return _replay(db, earlier, digest)
    sp = get_for_update(db, ShopPayment, new_id)
    assert sp is not None
    started = start_payment(
        db, provider, purpose="shop_payment", subject_id=str(sp.id), amount_minor=amount,
        currency=pc.currency, idempotency_key=f"shop_payment:{sp.id}", merchant_id=merchant.id,
        payer_user_id=payer.id, description=(pc.label or merchant.name)[:200],
    )  # fmt: skip
    if started.attempt.status != "succeeded":
        raise Conflict("the payment did not go through", code="payment_failed")
    sp.status, sp.paid_at, sp.attempt_id = "paid", now, started.attempt.id
    receipt = issue_to(
        db, state.keyring, template_for(db, merchant.id, "receipt"), payer,
        {"amount": amount, "currency": pc.currency, "payee": merchant.name[:200],
         "time": now.isoformat(timespec="seconds"), "reference": started.attempt.id},
        actor=None,
    )  # fmt: skip
    sp.credential_id = receipt.id
    db.flush()
    data = {"amount_minor": amount, "currency": pc.currency, "offer_title": merchant.name[:200],
            "url": f"/receipts/{sp.id}"}  # fmt: skip
    notify_user(db, payer.id, "receipt_issued", data, dedupe_key=f"receipt_issued:{sp.id}")
    notify_merchant_staff(db, merchant.id, "shop_payment_received", {**data, "url": None},
                          dedupe_key=f"shop_payment_received:{sp.id}")  # fmt: skip
    return Paid(sp, receipt, merchant, created=True)
