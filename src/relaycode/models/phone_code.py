from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow


class PhoneCode(Base):
    """The one-time code a user was sent to prove a phone number (identity/phone_codes.py).

    One per user: asking again replaces it. The code itself is never stored, only its
    HMAC under a keyring key (``key_id``), so a copy of the database alone cannot read
    it back. The number lives here (personal data stays in the database) until the code
    is used, then the row goes.
    """

    __tablename__ = "phone_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    phone: Mapped[str] = mapped_column(String(32))  # E.164
    key_id: Mapped[int] = mapped_column(Integer)
    code_hash: Mapped[str] = mapped_column(String(64))
    # Wrong guesses at this code; at the cap it is dead (a new code must be asked for).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
