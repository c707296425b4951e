from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow


class User(Base):
    """A person, or (kind="device") a terminal known only by its device id (Fig. 6 variant)."""

    __tablename__ = "users"
    __table_args__ = (
        # Two accounts never hold one verified number (identity/phone.py); unverified
        # claims may repeat until one of them proves it.
        Index(
            "ux_users_verified_phone",
            "phone",
            unique=True,
            sqlite_where=text("phone_verified_at IS NOT NULL"),
            postgresql_where=text("phone_verified_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="registered")
    # Lower-cased; NULL for device-only accounts.
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # The pseudonymous id that codes may carry; never the username or phone.
    pseudonym: Mapped[str] = mapped_column(String(26), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(120))
    # E.164 ("+8613800138000"). Personal data: never in a code or a log, shown masked.
    # Verified when ``phone_verified_at`` is set; otherwise only the user's claim.
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(500))
    payment_account: Mapped[str | None] = mapped_column(String(120))
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
