"""A shop's payment code (Fig. 11): printed at the till, scanned by the payer.

The code is a format-1 reference code of kind ``payment`` (a random id and a tag); the
payee, its currency and the accepted methods are in ``payment_codes``, never in the
text, so a reprinted sticker can be withdrawn and no amount is ever fixed in it.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.codes import service as codes
from relaycode.codes.keys import Keyring
from relaycode.config import Settings
from relaycode.credentials.presentation import invalid, our_code
from relaycode.credentials.service import new_code
from relaycode.db.locking import get_for_update
from relaycode.db.pagination import Order, Page, paginate
from relaycode.errors import AppError, InvalidInput, NotFound
from relaycode.models import Code, Merchant, PaymentCode, User
from relaycode.money import MoneyError, currency_code

KIND = "payment"
PAYCODE_ORDER = Order("payment_codes", (PaymentCode.id,), (int,))  # oldest first
METHOD = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_METHODS = 8


def clean_methods(methods: list[str]) -> list[str]:
    out: list[str] = []
    for m in methods:
        if not isinstance(m, str) or not METHOD.match(m):
            raise InvalidInput(f"{str(m)[:40]!r} is not a payment method", code="bad_method")
        if m not in out:
            out.append(m)
    if not out or len(out) > MAX_METHODS:
        raise InvalidInput(f"1 to {MAX_METHODS} payment methods", code="bad_method")
    return out


def create(
    db: Session,
    keyring: Keyring,
    merchant: Merchant,
    *,
    currency: str,
    methods: list[str],
    label: str | None,
    actor: User | None,
) -> PaymentCode:
    try:
        cur = currency_code(currency)
    except MoneyError:
        raise InvalidInput(f"{currency[:8]!r} is not a currency", code="unknown_currency") from None
    code = new_code(db, keyring, KIND, None)
    db.flush()
    pc = PaymentCode(
        merchant_id=merchant.id, code_id=code.id, label=label or None, currency=cur,
        methods=clean_methods(methods), created_by_user_id=actor.id if actor else None,
    )  # fmt: skip
    db.add(pc)
    db.flush()
    return pc


def first_of(db: Session, merchant_id: int) -> PaymentCode | None:
    return db.scalar(
        select(PaymentCode)
        .where(PaymentCode.merchant_id == merchant_id)
        .order_by(PaymentCode.id)
        .limit(1)
    )


def of_merchant(
    db: Session, merchant_id: int, *, cursor: str | None, limit: int
) -> Page[tuple[PaymentCode, str]]:
    """A page of the merchant's payment codes, oldest first, each with its code's status
    (``active`` or ``revoked``: withdrawn)."""
    q = (
        select(PaymentCode, Code.status)
        .join(Code, Code.id == PaymentCode.code_id)
        .where(PaymentCode.merchant_id == merchant_id)
    )
    return paginate(db, q, PAYCODE_ORDER, cursor=cursor, limit=limit)


def withdraw(db: Session, pc: PaymentCode) -> bool:
    """Withdraw a payment code (a sticker lost or replaced): its code is revoked, so a
    scan or a payment through it answers ``code_revoked`` (410) from now on. Lock, check,
    do on the code's row; withdrawing it again changes nothing (returns False)."""
    code = get_for_update(db, Code, pc.code_id)
    if code is None:  # payment_codes.code_id is a foreign key
        raise NotFound("no such payment code", code="payment_code_not_found")
    if code.status == "revoked":
        return False
    codes.revoke_code(db, code.id)  # the one place a code is withdrawn
    db.flush()
    return True


def by_id(db: Session, payment_code_id: int) -> PaymentCode:
    pc = db.get(PaymentCode, payment_code_id)
    if pc is None:
        raise NotFound("no such payment code", code="payment_code_not_found")
    return pc


def from_text(db: Session, settings: Settings, keyring: Keyring, text: str) -> PaymentCode:
    """The payment code a scanned text names: ``invalid_code`` (422, not a payment
    code), ``unknown_code`` (404) or ``code_revoked`` (410) otherwise."""
    if not isinstance(text, str) or not 1 <= len(text) <= 2000:
        raise invalid("malformed", "this is not a code")
    code = our_code(db, settings, keyring, text)
    if code.kind != KIND:
        raise invalid("not_a_payment_code", "this code is not a shop's payment code")
    if code.status != "active":
        raise AppError("this payment code was withdrawn", code="code_revoked", status=410)
    pc = db.scalar(select(PaymentCode).where(PaymentCode.code_id == code.id))
    if pc is None:
        raise NotFound("this code is not registered here", code="unknown_code")
    return pc
