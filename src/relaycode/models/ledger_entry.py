from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base


class LedgerEntry(Base):
    """One line of a ledger transaction: ``amount_minor`` (signed) to one account.

    Positive adds to the account's balance, negative takes from it. Rows are never
    updated or deleted; a correction is a new transaction. ``balance_after_minor`` is
    the account's balance once this entry was posted (the running balance of the
    history), written under the account's row lock like the balance itself.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        # An account's history, newest first, a page at a time.
        Index("ix_ledger_entries_account_history", "account_id", "id"),
        CheckConstraint("amount_minor <> 0", name="nonzero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    balance_after_minor: Mapped[int] = mapped_column(BigInteger)
