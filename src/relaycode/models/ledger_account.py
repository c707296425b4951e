from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow


class LedgerAccount(Base):
    """One account of the double-entry wallet ledger (payments/ledger.py, docs/ledger.md).

    An account holds one currency and belongs to one owner: a user, a merchant, a
    payment provider or the platform itself, named by ``owner_key`` ("user:12",
    "merchant:3", "provider:stripe", "platform") so that one unique constraint covers
    every kind (NULLs would make rows with no user and no merchant all distinct).

    ``balance_minor`` is a cache of the sum of the account's entries, kept under the
    account's row lock by every posting; ``relaycode ledger check`` proves it.
    """

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("kind", "owner_key", "currency"),
        # The last line of defence: whatever the code does, a wallet never goes negative.
        CheckConstraint("allow_negative OR balance_minor >= 0", name="balance_sign"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    owner_key: Mapped[str] = mapped_column(String(48))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"), index=True)
    # ISO 4217; amounts are integer minor units of it (money.py exponents).
    currency: Mapped[str] = mapped_column(String(3))
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # System and clearing accounts may go negative; wallets and balances owed never.
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
