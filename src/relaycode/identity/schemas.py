from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from relaycode.safetext import Line, Text

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")


class RegisterIn(BaseModel):
    username: Line = Field(min_length=3, max_length=32)
    password: str = Field(min_length=8, max_length=256)  # hashed, never stored as text
    display_name: Line | None = Field(default=None, max_length=120)
    # Normalised to E.164 by the service (identity/phone.py), kept unverified.
    phone: str | None = Field(default=None, max_length=40)
    email: Line | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: Text | None = Field(default=None, max_length=500)
    payment_account: Line | None = Field(default=None, max_length=120)
    device_label: Line | None = Field(default=None, max_length=200)

    @field_validator("username")
    @classmethod
    def _username(cls, v: str) -> str:
        v = v.strip().lower()
        if not USERNAME_RE.match(v):
            raise ValueError("3–32 characters: letters, digits, '_', '.', '-'")
        return v


class LoginIn(BaseModel):
    username: Line = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    device_id: Line | None = Field(default=None, max_length=40)
    device_label: Line | None = Field(default=None, max_length=200)


class DeviceAccountIn(BaseModel):
    device_label: Line | None = Field(default=None, max_length=200)


class PublicKeyIn(BaseModel):
    # Raw 32-byte Ed25519 public key, base64url without padding.
    public_key: str = Field(pattern=r"^[A-Za-z0-9_-]{43}$")


class TokenOut(BaseModel):
    token: str
    device_id: str
    user: UserOut


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    username: str | None
    pseudonym: str
    display_name: str | None
    is_operator: bool


class DeviceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    device_uid: str
    label: str | None
    public_key: str | None
    created_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None


TokenOut.model_rebuild()


class PhoneIn(BaseModel):
    # Any way a person writes it ("138 0013 8000", "+86-138…"); E.164 after normalising.
    phone: str = Field(min_length=1, max_length=40)


class PhoneVerifyIn(BaseModel):
    phone: str = Field(min_length=1, max_length=40)
    code: str = Field(pattern=r"^\s*[0-9]{6}\s*$", max_length=16)


class PhoneOut(BaseModel):
    """The caller's own number: in full for them only, masked for showing."""

    phone: str | None = Field(description="E.164, or what was typed before verification")
    masked: str | None = Field(description="e.g. +86 138****8000")
    verified: bool
    pending: str | None = Field(description="The masked number a live code was sent to")
    expires_at: datetime | None = Field(description="When that code stops working")
