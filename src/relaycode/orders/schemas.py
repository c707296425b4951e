"""What the order routes take and give (docs/orders.md).

Amounts are integer minor units of ``currency`` (money.py). ``amount`` is the order's
total; a refund's ``amount`` is how much of it to give back (all that is left when it is
left out).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from relaycode.money import MAX_MINOR
from relaycode.safetext import Line

MAX_QUANTITY = 99
# Payment method names as offers list them (catalog/schemas.PaymentMethod), kept loose
# here so an unknown one is a 422 ``payment_method_unavailable``, not a schema error.
METHOD_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"


class AddressIn(BaseModel):
    """Where physical goods go (the shape pages may use for their forms; the service
    checks it again: orders/pricing.clean_address). Personal data: on the order only."""

    model_config = ConfigDict(extra="forbid")

    name: Line = Field(min_length=1, max_length=100)
    phone: Line = Field(min_length=3, max_length=32, pattern=r"^[0-9+() .-]{3,32}$")
    line1: Line = Field(min_length=1, max_length=200)
    line2: Line | None = Field(default=None, max_length=200)
    city: Line = Field(min_length=1, max_length=100)
    region: Line | None = Field(default=None, max_length=100)
    postcode: Line | None = Field(default=None, max_length=20)
    country: str = Field(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")


class OrderIn(BaseModel):
    """``POST /api/v1/orders``: buy ``quantity`` of what ``code`` stands for."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=2048, description="Offer or share code text")
    # Bounds are checked by the service, so that they answer codes of their own
    # (``bad_quantity``, ``payment_method_unavailable``, ``bad_address``).
    quantity: int = Field(default=1, strict=True, description=f"1 to {MAX_QUANTITY}")
    payment_method: str = Field(
        min_length=1, max_length=64, description="One of the offer's payment methods: wallet, card"
    )
    delivery_address: dict[str, Any] | None = Field(
        default=None,
        description="For physical goods: name, phone, line1, city, country (ISO 3166 "
        "alpha-2) and optionally line2, region, postcode (orders/pricing.py checks them)",
    )


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int | None = Field(
        default=None, ge=1, le=MAX_MINOR, strict=True, description="Minor units; omit: all left"
    )
    reason: Line | None = Field(default=None, max_length=200)


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Line | None = Field(default=None, max_length=200)


class ActionOut(BaseModel):
    """What the buyer's page does next: nothing, or confirm a card payment (Stripe.js)."""

    kind: Literal["none", "client_secret", "redirect", "qr"]
    value: str | None = None
    publishable_key: str | None = None
    js_url: str | None = None


class PaymentOut(BaseModel):
    method: str
    provider: str | None
    attempt_id: str | None
    status: str | None = Field(description="The payment attempt's status")
    failure_code: str | None = None
    action: ActionOut | None = None


class ReferrerOut(BaseModel):
    user_id: int
    code_id: str | None
    device_id: int | None


class RefundOut(BaseModel):
    id: int
    amount: int
    currency: str
    reason: str | None
    created_at: datetime


class OrderOut(BaseModel):
    id: int
    status: str
    amount: int = Field(description="Total, minor units")
    amount_refunded: int
    unit_price: int
    currency: str
    quantity: int
    offer_id: int
    offer_title: str | None = None
    merchant_id: int
    buyer_user_id: int
    code: str | None = Field(description="Text of the code the order came through")
    code_id: str | None
    attributed_code_id: str | None
    bind_mode: str
    referrer_chain: list[ReferrerOut]
    payment: PaymentOut
    delivery_address: dict[str, Any] | None
    refunds: list[RefundOut] = Field(default_factory=list)
    created_at: datetime
    paid_at: datetime | None
    fulfilled_at: datetime | None
    cancelled_at: datetime | None
    refunded_at: datetime | None
    created: bool | None = Field(
        default=None, description="On POST: false when the idempotency key named an earlier order"
    )
