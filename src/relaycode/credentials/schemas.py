"""Request and answer shapes of the credentials API (docs/credentials.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, model_validator

from relaycode.credentials.fields import FIELD_KEY, MAX_FIELDS
from relaycode.money import DEFAULT_CURRENCY, MoneyError, currency_code
from relaycode.safetext import Line

TemplateKind = Literal["bank_bill", "ticket", "access_pass", "service_voucher", "receipt", "custom"]
FieldType = Literal["text", "money", "date", "int"]
UseMode = Literal["single", "count", "balance"]
Form = Literal["reference", "signed", "rotating"]
# Strict: true/false or 1.5 are no field value (a bool is an int to Python).
FieldValue = StrictStr | StrictInt | None
Nonce = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$")]
HolderName = Annotated[Line, Field(min_length=1, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldSpec(Strict):
    key: str = Field(pattern=FIELD_KEY)
    label: Line = Field(min_length=1, max_length=100)
    type: FieldType = "text"
    required: bool = True


class TemplateIn(Strict):
    kind: TemplateKind
    name: Line = Field(min_length=1, max_length=200)
    fields: list[FieldSpec] = Field(default_factory=list, max_length=MAX_FIELDS)
    use_mode: UseMode = "single"
    max_uses: int | None = Field(default=None, ge=1, le=1_000_000)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    valid_days: int | None = Field(default=None, ge=1, le=36_600)
    transferable: bool = False
    max_endorsements: int = Field(default=0, ge=0, le=100)
    forms: list[Form] = Field(default=["reference"], min_length=1, max_length=3)
    show_holder_name: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> TemplateIn:
        # Money fields are minor units of one currency: without one, 50000 could be
        # 500.00 CNY or 50,000 JPY. The platform's default (as for offers) when unsaid.
        money = any(f.type == "money" for f in self.fields)
        if self.currency is None and money and self.use_mode != "balance":
            self.currency = DEFAULT_CURRENCY
        check_template(self.model_dump())
        return self


class TemplatePatch(Strict):
    """The fields to change; the rest keep their values (checked together again)."""

    name: Line | None = Field(default=None, min_length=1, max_length=200)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    valid_days: int | None = Field(default=None, ge=1, le=36_600)
    transferable: bool | None = None
    max_endorsements: int | None = Field(default=None, ge=0, le=100)
    forms: list[Form] | None = Field(default=None, min_length=1, max_length=3)
    show_holder_name: bool | None = None


def check_template(t: dict[str, Any]) -> None:
    """The rules that tie a template's settings together (raises ValueError → 422)."""
    keys = [f["key"] for f in t["fields"]]
    if len(set(keys)) != len(keys):
        raise ValueError("field keys must be unique")
    if t["use_mode"] == "count" and t["max_uses"] is None:
        raise ValueError("a count template needs max_uses")
    if t["use_mode"] != "count" and t["max_uses"] is not None:
        raise ValueError("max_uses is for count templates only")
    if t["use_mode"] == "balance":
        if t["currency"] is None:
            raise ValueError("a balance template needs a currency")
        if not any(f["type"] == "money" for f in t["fields"]):
            raise ValueError("a balance template needs a money field (its first is the balance)")
    if t["currency"] is not None:
        try:
            currency_code(t["currency"])
        except MoneyError:
            raise ValueError(f"{t['currency']} is not an ISO 4217 currency") from None
    has_money = any(f["type"] == "money" for f in t["fields"])
    if t["currency"] is not None and not has_money:
        raise ValueError("currency is for templates with a money field")
    for name in ("valid_from", "valid_until"):
        value = t.get(name)
        if value is not None and value.tzinfo is None:
            raise ValueError(f"{name} needs a time zone")
    if t["valid_from"] and t["valid_until"] and t["valid_until"] <= t["valid_from"]:
        raise ValueError("valid_until must be after valid_from")
    if len(set(t["forms"])) != len(t["forms"]):
        raise ValueError("forms must not repeat")
    if t["max_endorsements"] and not t["transferable"]:
        raise ValueError("max_endorsements needs transferable")


class TemplateOut(BaseModel):
    id: int
    merchant_id: int
    kind: str
    name: str
    fields: list[FieldSpec]
    use_mode: str
    max_uses: int | None
    currency: str | None = Field(description="ISO 4217: of the money fields and the balance")
    currency_exponent: int | None = Field(
        description="Decimals of the currency's minor unit (ISO 4217): CNY 2, JPY 0, KWD 3"
    )
    valid_from: datetime | None
    valid_until: datetime | None
    valid_days: int | None
    transferable: bool
    max_endorsements: int
    forms: list[str]
    show_holder_name: bool
    status: str
    created_at: datetime


class ItemIn(Strict):
    holder: HolderName = Field(description="A username, or a phone number (maybe not registered)")
    fields: dict[Annotated[str, Field(max_length=40)], FieldValue] = Field(
        default_factory=dict, max_length=MAX_FIELDS
    )


class BulkIn(Strict):
    rows: list[ItemIn] = Field(min_length=1, max_length=1000)


class ItemOut(BaseModel):
    id: int
    template_id: int
    status: str = Field(description="pending (a phone not registered yet), issued, claimed")
    holder: str | None = Field(description="The holder's username (for the issuer only)")
    holder_phone: str | None
    fields: dict[str, Any]
    valid_from: datetime | None
    valid_until: datetime | None
    credential_id: str | None
    created_at: datetime
    claimed_at: datetime | None
    text: str | None = Field(description="The printed code's text (ids only, no holder)")


class BulkOut(BaseModel):
    created: int
    items: list[ItemOut]


class ClaimIn(Strict):
    text: str = Field(min_length=1, max_length=2048)


class CredentialOut(BaseModel):
    id: str
    status: str
    template: TemplateOut
    fields: dict[str, Any]
    generation: int
    parent_id: str | None
    uses_left: int | None
    balance_minor: int | None
    currency: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    created_at: datetime
    holder: str | None = Field(default=None, description="For the issuer's team only")


class PresentationOut(BaseModel):
    form: str
    text: str


class EndorseIn(Strict):
    to: HolderName = Field(description="The new holder: a username or a phone number")


class RevokeIn(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$")] = "issuer"


class RedeemIn(Strict):
    text: str = Field(min_length=1, max_length=2048)
    nonce: Nonce
    amount: int | None = Field(default=None, ge=1, le=10**15)
    station: Line | None = Field(default=None, max_length=100)


class RedemptionOut(BaseModel):
    id: int
    credential_id: str
    verdict: str
    reason: str | None
    amount_minor: int | None
    uses_left: int | None
    balance_minor: int | None
    currency: str | None
    station: str | None
    created_at: datetime


class VerifyIn(Strict):
    text: str = Field(min_length=1, max_length=2048)
    item_text: str | None = Field(
        default=None,
        min_length=1,
        max_length=2048,
        description="Pair mode (Fig. 8): the printed item code the credential must come from",
    )


class VerificationOut(BaseModel):
    verdict: Literal["valid", "invalid"]
    reason: str | None
    mode: str = "online"
    credential: CredentialOut | None = None
    holder_name: str | None = Field(
        default=None, description="Only when the template shows the holder's name"
    )
    pair: Literal["match", "no_match"] | None = Field(
        default=None, description="With `item_text`: was the credential claimed from that item"
    )


class ChainLinkOut(BaseModel):
    id: str
    generation: int
    parent_id: str | None
    status: str
    holder: str | None
    created_at: datetime


class RevokedOut(BaseModel):
    cti: str
    reason: str
    version: int


class RevocationListOut(BaseModel):
    version: int = Field(description="Pass it back as `since` for the next delta")
    revoked: list[RevokedOut]
    more: bool = Field(description="More revocations after `version`: ask again at once")


class AuditOut(BaseModel):
    id: int
    action: str
    credential_id: str | None
    item_id: int | None
    actor: str | None
    device_id: int | None
    station: str | None
    reason: str | None
    detail: dict[str, Any]
    created_at: datetime
