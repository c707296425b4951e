"""Bodies of the offline upload and the issuer's conflict list (docs/credentials.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from relaycode.credentials.schemas import Nonce, Strict

MAX_ITEMS = 500  # static/station.js sends its queue 500 at a time


class OfflineItemIn(Strict):
    text: str = Field(min_length=1, max_length=2048)
    nonce: Nonce
    redeemed_at: AwareDatetime
    amount: int | None = Field(default=None, ge=1, le=10**15)


class OfflineUploadIn(Strict):
    station: str = Field(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")
    redemptions: list[OfflineItemIn] = Field(min_length=1, max_length=MAX_ITEMS)


class OfflineResultOut(BaseModel):
    nonce: str
    status: str  # accepted | duplicate | conflict | refused
    reason: str | None
    redemption_id: int | None
    first: str | None = None  # for a duplicate: the first upload's status


class OfflineUploadOut(BaseModel):
    results: list[OfflineResultOut]


class RedeemedOut(BaseModel):
    """One side of a conflict: which station redeemed, when it says, when it arrived."""

    redemption_id: int
    credential_id: str  # a conflict's first may be another generation's redemption
    station: str | None
    verifier: str | None
    redeemed_at: datetime
    uploaded_at: datetime


class ConflictOut(BaseModel):
    id: int
    credential_id: str
    # conflict: recorded, not counted; accepted: counted, but redeemed before the
    # credential was revoked / endorsed (reason revoked_after), the money is out.
    verdict: str
    reason: str | None
    revoked_at: datetime | None  # when the credential stopped being usable, if it did
    conflict: RedeemedOut  # the later upload
    first: RedeemedOut | None  # the accepted redemption it collided with, if any
