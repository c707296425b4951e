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
    action: Literal["claim", "verify"] | None = Field(
        default=None,
        description="A credential item's code: `claim` (POST /api/v1/claims, its holder "
        "only); a credential's: `verify` (its issuer's verifiers). Never says who holds it",
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
    kid: str
    alg: str
    crv: str
    x: str
    status: str
    not_before: str
    not_after: str | None


class TrustListOut(BaseModel):
    issuer: str
    keys: list[TrustKeyOut]
