from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from relaycode.catalog.schemas import PublicOfferOut
from relaycode.games.schemas import ScanGameOut
from relaycode.referrals.schemas import ReviewOut, SharerOut

Verdict = Literal["ours", "ours_invalid", "foreign_url", "gtin", "text"]


class ScanIn(BaseModel):
    text: str = Field(max_length=8192)


class IssueIn(BaseModel):
    channel: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class CodeOut(BaseModel):
    id: str
    kind: str
    offer_id: int | None
    parent_id: str | None
    depth: int
    channel: str | None
    status: str
    created_at: datetime
    expires_at: datetime | None
    text: str | None = Field(description="The code's content, also its hyperlink")


class RevokeManyIn(BaseModel):
    ids: list[Annotated[str, Field(pattern=r"^[0-9a-fA-F]{32}$")]] = Field(
        min_length=1, max_length=200, description="Ids of codes of this offer (1 to 200)"
    )


class RevokeManyOut(BaseModel):
    revoked: int = Field(description="How many were active before (the rest already were not)")
    items: list[CodeOut]


class LinkOut(BaseModel):
    url: str
    host: str


class CredentialScanOut(BaseModel):
    """A verified signed credential (format 3) or rotating presentation (format 4)."""

    id: str = Field(description="The credential id (32 hex characters)")
    kind: Literal["signed", "rotating"]
    kid: str = Field(description="The trust-list key that signed it")
    expires_at: datetime
    window: int | None = Field(description="A rotating presentation's 30-second window")


class PaymentScanOut(BaseModel):
    id: int = Field(description="The payment code's id (GET /pay/{id} is its pay page)")
    payee: str = Field(description="The shop's public name")
    label: str | None = Field(description="Which till, as the shop named it")
    currency: str
    methods: list[str] = Field(description="The payment methods the shop takes here")
    pay_url: str = Field(description="The pay page (a path of this site)")


class ScanOut(BaseModel):
    verdict: Verdict
    reason: str | None = None
    message: str | None = None
    code: CodeOut | None = None
    offer: PublicOfferOut | None = None
    sharer: SharerOut | None = Field(
        default=None, description="A share code's sharer (display name, never a phone number)"
    )
    review: ReviewOut | None = Field(default=None, description="The sharer's review, if any")
    link: LinkOut | None = None
    gtin: str | None = None
    target: str | None = Field(
        default=None, description="Where a scanner page should go next (a path of this site)"
    )
    game: ScanGameOut | None = Field(
        default=None,
        description="A combining game's code: its composition, the result it makes, if "
        "any, and the recipes still reachable (docs/games.md)",
    )
    action: Literal["claim", "verify", "pay"] | None = Field(
        default=None,
        description="A credential item's code: `claim` (POST /api/v1/claims, its holder "
        "only); a credential's: `verify` (its issuer's verifiers); a shop's payment code: "
        "`pay` (POST /api/v1/payment-codes/pay). Never says who holds it",
    )
    credential: CredentialScanOut | None = Field(
        default=None, description="A signed credential or rotating presentation, verified"
    )
    payment: PaymentScanOut | None = Field(
        default=None, description="A shop's payment code: the payee and accepted methods"
    )


class BarcodeOut(BaseModel):
    text: str
    symbology: str
    position: list[tuple[int, int]]
    engine: str


class DecodeOut(BaseModel):
    barcodes: list[BarcodeOut]
    width: int | None = None
    height: int | None = None


class TrustKeyOut(BaseModel):
    """A JWK that is also a COSE_Key (kty OKP = 1, crv Ed25519 = 6, x = -2, kid = 2 as the
    UTF-8 bytes of ``kid``), with its status and validity window."""

    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    alg: Literal["EdDSA"]
    use: Literal["sig"]
    kid: str
    x: str = Field(description="The raw 32-byte public key, base64url without padding")
    status: Literal["active", "verify"] = Field(
        description="active: signs now; verify: rotated out, still accepted until not_after"
    )
    not_before: str | None
    not_after: str | None


class TrustListOut(BaseModel):
    format: Literal["relaycode-trust-list/1"]
    issuer: str = Field(description="The instance's public URL: whom these keys sign for")
    hosts: list[str] = Field(description="Hosts (upper case) of its /V/ and /P/ links")
    version: int = Field(description="Grows with every key rotation and retirement")
    keys: list[TrustKeyOut]
