from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow

# pending: bound to a phone number nobody has verified yet; issued: bound to a user,
# not claimed; claimed: its credential exists (credential_id).
ITEM_STATUSES = ("pending", "issued", "claimed")


class CredentialItem(Base):
    """The printed code 61 of Figs. 7-9: an item bound to one holder, who claims it.

    The holder is a user, or a phone number not registered yet (``holder_phone``, E.164
    only). Neither is in the code: its text carries the code's random id only.
    """

    __tablename__ = "credential_items"
    __table_args__ = (
        Index("ix_credential_items_list", "template_id", "created_at", "id"),
        Index("ix_credential_items_phone", "holder_phone", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("credential_templates.id", ondelete="RESTRICT")
    )
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="RESTRICT"))
    code_id: Mapped[str] = mapped_column(ForeignKey("codes.id"), unique=True)
    holder_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    holder_phone: Mapped[str | None] = mapped_column(String(20))
    field_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The first money field, for a template in balance mode: the credential's balance.
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="issued")
    credential_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    issued_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
