from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow

SERVICE_REQUEST_STATUSES = ("requested", "completed")


class ServiceRequest(Base):
    """A service a user asked of a merchant (Fig. 10). Once staff mark it completed the
    server issues one voucher credential (kind ``service_voucher``) to the user: the
    code plus the user, as proof that the service was done."""

    __tablename__ = "service_requests"
    __table_args__ = (
        Index("ix_service_requests_merchant_list", "merchant_id", "created_at", "id"),
        Index("ix_service_requests_user_list", "user_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="requested")
    requested_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    completed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
