from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime


class ShownFlash(Base):
    """A one-time flash (web/flash.py) already shown, remembered until it expires.

    The flash itself travels encrypted in a cookie; only its random id is kept here, so
    that a replayed cookie finds its id taken and shows nothing. No secret is stored.
    """

    __tablename__ = "flashes_shown"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
