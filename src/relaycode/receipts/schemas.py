"""Request and answer shapes of the receipts API (docs/receipts.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from relaycode.safetext import Line, Text


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PaymentCodeIn(Strict):
    currency: StrictStr = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    methods: list[StrictStr] = Field(default=["wallet"], min_length=1, max_length=8)
    label: Line | None = Field(default=None, max_length=100)


class PaymentCodeOut(BaseModel):
    id: int
    merchant_id: int
    payee: str
    label: str | None
    currency: str
    methods: list[str]
    code_id: str
    status: Literal["active", "withdrawn"]
    text: str | None
    created_at: datetime


class PayIn(Strict):
    code: StrictStr = Field(min_length=1, max_length=2000)
    amount: StrictInt = Field(description="Integer minor units, in the payment code's currency")
    payment_method: StrictStr = Field(default="wallet", min_length=1, max_length=32)


class ReceiptOut(BaseModel):
    credential_id: str
    text: str = Field(description="The signed receipt (CR1:, format 3): verifies offline")
    reference_text: str | None = Field(description="The format-1 reference code")


class ShopPaymentOut(BaseModel):
    id: int
    status: str
    amount_minor: int
    currency: str
    payee: str
    merchant_id: int
    payment_method: str
    reference: str | None = Field(description="The payment attempt's id")
    created_at: datetime
    paid_at: datetime | None
    created: bool


class PaidOut(BaseModel):
    receipt: ReceiptOut
    payment: ShopPaymentOut


class ServiceRequestIn(Strict):
    offer_id: StrictInt | None = Field(default=None, ge=1, le=2**31 - 1)
    description: Text = Field(default="", max_length=2000)  # no NUL: PostgreSQL refuses it


class StaffServiceRequestIn(ServiceRequestIn):
    user: StrictStr = Field(min_length=1, max_length=64, description="The user's username")


class UserServiceRequestIn(ServiceRequestIn):
    merchant_id: StrictInt = Field(ge=1, le=2**31 - 1)


class ServiceRequestOut(BaseModel):
    id: int
    merchant_id: int
    user: str | None
    offer_id: int | None
    description: str
    status: str
    credential_id: str | None
    created_at: datetime
    completed_at: datetime | None


class VerificationLinkIn(Strict):
    to: StrictStr = Field(min_length=1, max_length=64, description="The verifier's username")


class VerificationLinkOut(BaseModel):
    to: str
    expires_at: datetime
