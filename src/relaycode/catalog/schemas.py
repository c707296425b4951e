from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from relaycode.catalog.status import EffectiveStatus
from relaycode.codes.gtin import normalize_gtin
from relaycode.money import MoneyError, exponent
from relaycode.safetext import Line, Text


def exponent_or_none(currency: str) -> int | None:
    try:
        return exponent(currency)
    except MoneyError:
        return None


PaymentMethod = Literal["wallet", "card", "alipay", "wechat", "bank_transfer", "cash"]


class OfferFields(BaseModel):
    description: Text | None = Field(default=None, max_length=5000)
    sku: Line | None = Field(default=None, max_length=64)
    gtin: Line | None = Field(default=None, max_length=14)
    category: Line | None = Field(default=None, max_length=100)
    region: Line | None = Field(default=None, max_length=100)
    price_minor: int | None = Field(default=None, ge=0, le=10**12)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    sales_channel: Line | None = Field(default=None, max_length=100)
    payment_methods: list[PaymentMethod] | None = Field(default=None, max_length=6)
    payee_account: Line | None = Field(default=None, max_length=120)
    web_link: Line | None = Field(default=None, max_length=2000, pattern=r"^https?://\S+$")
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        norm = normalize_gtin(v)
        if norm is None:
            raise ValueError("not a valid GTIN-8/12/13/14 (check digit)")
        return norm

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str | None) -> str | None:
        # A price is only meaningful in money with an ISO 4217 minor unit (money.py).
        if v is not None and exponent_or_none(v) is None:
            raise ValueError("not an ISO 4217 currency with a minor unit")
        return v

    @field_validator("valid_from", "valid_until")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("give a timezone, e.g. 2026-12-01T00:00:00Z")
        return v

    @model_validator(mode="after")
    def _window(self) -> OfferFields:
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self


class OfferCreate(OfferFields):
    title: Line = Field(min_length=1, max_length=200)


class OfferUpdate(OfferFields):
    """A partial edit: fields left out keep their value."""

    title: Line | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("price_minor", "currency", "payment_methods", mode="before")
    @classmethod
    def _not_null(cls, v: Any) -> Any:
        # Every offer has a price, a currency and a (maybe empty) list of methods:
        # leave a field out to keep it, null has nothing to set it to.
        if v is None:
            raise ValueError("leave this field out to keep it; it cannot be null")
        return v


class OfferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    merchant_id: int
    title: str
    description: str
    image_url: str | None = None
    sku: str | None
    gtin: str | None
    category: str | None
    region: str | None
    price_minor: int
    currency: str
    sales_channel: str | None
    payment_methods: list[Any]
    payee_account: str | None
    web_link: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    status: str = Field(
        description="What the merchant set: active, paused or archived (the status actions)."
    )
    effective_status: EffectiveStatus = Field(
        default="active",
        description="What a scanner meets now: the status, or expired past valid_until, "
        "or scheduled before valid_from (see catalog/status.py).",
    )
    version: int
    created_at: datetime
    updated_at: datetime
    kind: str = Field(
        default="standard",
        description="standard, or combine: a combining game (PUT /offers/{id}/game)",
    )


class PublicOfferOut(BaseModel):
    """What a scanner learns: no payee account, no internal fields."""

    id: int
    merchant: str
    title: str
    description: str
    image_url: str | None
    price_minor: int
    currency: str
    category: str | None
    region: str | None
    payment_methods: list[Any]
    web_link: str | None
    status: str = Field(description="What the merchant set: active, paused or archived.")
    effective_status: EffectiveStatus = Field(
        default="active",
        description="What this offer is now: active, paused, archived, expired or scheduled.",
    )
    valid_from: datetime | None
    valid_until: datetime | None
