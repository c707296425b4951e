"""Shapes of the referral API: shares, their reviews, and what a scanner learns of a sharer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from relaycode.models.review import REVIEW_MAX
from relaycode.safetext import Text, check_line

# A channel names where a share went ("wechat", "poster-3"): the issue form's rule.
Channel = Annotated[str, StringConstraints(max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
# A scanned or pasted code: surrounding white space goes, control characters inside refuse.
CodeText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4096),
    AfterValidator(check_line),
]


class ShareIn(BaseModel):
    code: CodeText = Field(description="The text (link) of an offer or share code")
    channel: Channel | None = Field(default=None, description="Where the share is headed")


class SharerOut(BaseModel):
    """Who shared a code, as any scanner may see it: never a phone number or e-mail."""

    username: str | None = Field(description="null for an account known only by its device")
    display_name: str | None


class ReviewIn(BaseModel):
    rating: int = Field(ge=1, le=5, description="1 to 5 stars")
    text: Text = Field(default="", max_length=REVIEW_MAX)


class ReviewOut(BaseModel):
    rating: int
    text: str
    updated_at: datetime


class ShareOut(BaseModel):
    code: str = Field(description="The new code's text, also its link")
    url: str = Field(description="The link to open in a browser (the same code)")
    id: str
    parent_id: str | None
    offer_id: int | None
    depth: int
    channel: str | None
    status: str
    created_at: datetime
    created: bool = Field(description="false when an existing share was returned")
    image_svg: str = Field(description="Path of the code drawn as SVG")
    image_png: str = Field(description="Path of the code drawn as PNG")
    review: ReviewOut | None = None


class MyShareOut(ShareOut):
    scans: int = Field(description="Scans and opens, not counting bots and the merchant's staff")
    offer_title: str | None


class ShareKeyOut(BaseModel):
    """What a device keeps to make share codes offline (format 2, docs/code-format.md).
    Shown to that device only; the browser imports ``key`` as a non-extractable
    WebCrypto HMAC key and forgets the text."""

    format_version: int = Field(description="2: the format of the codes it makes")
    kid: int = Field(description="The keyring key the share key was derived from (1–255)")
    key: str = Field(description="The HMAC-SHA-256 share key, base64url without padding")
    device_pid: str = Field(description="The device's pseudonymous id, 16 hex digits")
    prefix: str = Field(description="What each code's text starts with: SCHEME://HOST/S/")
