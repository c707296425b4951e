from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow


class LedgerTransaction(Base):
    """One movement of money: its entries (``LedgerEntry``) sum to zero per currency.

    ``reference_type`` and ``reference_id`` say what it is about ("order", "42"; a
    Stripe PaymentIntent id is text, hence a string). A posting given an
    ``idempotency_key`` happens once: the key is unique, a retry finds this row.
    """

    __tablename__ = "ledger_transactions"
    __table_args__ = (Index("ix_ledger_transactions_reference", "reference_type", "reference_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    memo: Mapped[str | None] = mapped_column(String(200))
    reference_type: Mapped[str | None] = mapped_column(String(32))
    reference_id: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
