"""API shapes of commissions, commission balances and withdrawals. Amounts are integer
minor units of ``currency`` (fen, cents)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from relaycode.models import Commission, Withdrawal
from relaycode.money import MAX_MINOR
from relaycode.safetext import Line


class CommissionOut(BaseModel):
    id: int
    amount: int = Field(description="Earned, in minor units (0 when blocked)")
    reversed_amount: int = Field(description="Taken back by refunds so far")
    currency: str
    status: str = Field(description="pending, available, reversed or blocked")
    order_id: int
    level: int = Field(description="1 = you shared the code the buyer came through")
    offer_id: int
    code_id: str | None = Field(description="The share code the commission was earned by")
    created_at: datetime
    available_at: datetime | None = Field(description="When the hold period ends")
    blocked_reason: str | None = Field(description="Why nothing was earned (status blocked)")

    @classmethod
    def of(cls, c: Commission, offer_id: int) -> CommissionOut:
        return cls(
            id=c.id, amount=c.amount_minor, reversed_amount=c.reversed_minor,
            currency=c.currency, status=c.status, order_id=c.order_id, level=c.level,
            offer_id=offer_id, code_id=c.code_id, created_at=c.created_at,
            available_at=c.available_at, blocked_reason=c.blocked_reason,
        )  # fmt: skip


class CommissionBalanceOut(BaseModel):
    currency: str
    pending: int = Field(description="Earned, still on hold")
    available: int = Field(description="May be withdrawn")
    withdrawing: int = Field(description="Requested, awaiting an operator")
    owed: int = Field(description="Reversed after it was withdrawn: settled from later ones")


class CommissionBalancesOut(BaseModel):
    balances: list[CommissionBalanceOut]


class WithdrawalIn(BaseModel):
    amount: int = Field(ge=1, le=MAX_MINOR, description="Minor units, more than 0")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217, e.g. CNY")
    payout_details: Line = Field(
        min_length=1, max_length=200, description="Where to pay: an account, an IBAN …"
    )


class WithdrawalOut(BaseModel):
    id: int
    amount: int
    currency: str
    status: str = Field(description="requested, approved or rejected")
    payout_details: str | None
    created_at: datetime
    decided_at: datetime | None
    note: str | None

    @classmethod
    def of(cls, w: Withdrawal) -> WithdrawalOut:
        return cls(**_fields(w))


class AdminWithdrawalOut(WithdrawalOut):
    user_id: int
    username: str | None

    @classmethod
    def with_user(cls, w: Withdrawal, username: str | None) -> AdminWithdrawalOut:
        return cls(**_fields(w), user_id=w.user_id, username=username)


def _fields(w: Withdrawal) -> dict[str, object]:
    return {
        "id": w.id, "amount": w.amount_minor, "currency": w.currency, "status": w.status,
        "payout_details": w.payout_details, "created_at": w.created_at,
        "decided_at": w.decided_at, "note": w.note,
    }  # fmt: skip


class DecisionIn(BaseModel):
    note: Line | None = Field(default=None, max_length=200, description="Kept with the decision")
