"""What the merchant routes take and give: merchants, team members, API keys."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from relaycode.safetext import Line

Role = Literal["owner", "staff", "verifier"]
# What a merchant's own systems may be allowed to do with one of its keys.
ApiKeyScope = Literal[
    "offers:read", "offers:write", "codes:issue", "scan", "orders:read", "orders:write"
]
ROLES: tuple[str, ...] = get_args(Role)
API_KEY_SCOPES: tuple[str, ...] = get_args(ApiKeyScope)


class MerchantIn(BaseModel):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: Line = Field(min_length=1, max_length=200)


class MerchantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str


class MemberIn(BaseModel):
    username: Line = Field(min_length=1, max_length=64)
    role: Role


class MemberOut(BaseModel):
    username: str
    role: str


class ApiKeyIn(BaseModel):
    name: Line = Field(min_length=1, max_length=100)
    scopes: list[ApiKeyScope] = Field(min_length=1)


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    key: str | None = None
