from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow

# pending: earned, on hold (ledger: commissions_pending); available: the hold is over
# (commissions_available); reversed: fully taken back by refunds; blocked: never paid,
# ``blocked_reason`` says why (self_referral, same_device, loop, account_closed, ...).
COMMISSION_STATUSES = ("pending", "available", "reversed", "blocked")
BENEFICIARIES = ("user", "platform")


class Commission(Base):
    """One level of one order's commission split (S685): earned, blocked or reversed.

    Money moves only through the ledger (payments/ledger.py, references
    ``commission:<id>``); this row is what the referrer sees and what analytics count.
    """

    __tablename__ = "commissions"
    __table_args__ = (
        UniqueConstraint("order_id", "level", "beneficiary"),
        Index("ix_commissions_user_list", "user_id", "created_at", "id"),
        Index("ix_commissions_due", "status", "available_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    # 1 = the nearest sharer; 0 = the platform that published the code ([0100]).
    level: Mapped[int] = mapped_column(SmallInteger)
    beneficiary: Mapped[str] = mapped_column(String(16), default="user")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    code_id: Mapped[str | None] = mapped_column(ForeignKey("codes.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    reversed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    blocked_reason: Mapped[str | None] = mapped_column(String(32))
    available_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
