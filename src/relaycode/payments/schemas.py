"""The wallet's API shapes: balances, history entries, and the operator's grant."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from relaycode.money import MAX_MINOR
from relaycode.safetext import Line


class BalanceOut(BaseModel):
    currency: str = Field(description="ISO 4217")
    balance_minor: int = Field(description="In minor units of the currency (fen, cents)")


class WalletOut(BaseModel):
    balances: list[BalanceOut] = Field(description="One per currency held, by currency")


class EntryOut(BaseModel):
    """One movement of a wallet: what came in (positive) or went out (negative)."""

    id: int
    transaction_id: int
    kind: str = Field(description="What moved the money: grant, order_payment, refund, …")
    currency: str
    amount_minor: int = Field(description="Signed: positive in, negative out")
    balance_after_minor: int = Field(description="The wallet's balance after this entry")
    memo: str | None
    reference_type: str | None
    reference_id: str | None
    created_at: datetime


class GrantIn(BaseModel):
    username: Line = Field(min_length=1, max_length=64)
    amount_minor: int = Field(ge=1, le=MAX_MINOR, description="Minor units, more than 0")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217, e.g. CNY")
    memo: Line | None = Field(default=None, max_length=200)


class GrantOut(BaseModel):
    transaction_id: int
    username: str
    currency: str
    amount_minor: int
    balance_minor: int = Field(description="The wallet's balance after the grant")
