from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow

# Who gave a player their attribute (games/service.py).
ASSIGNED_BY = ("merchant", "player", "round_robin")


class GamePlayer(Base):
    """A player's attribute in one combining game (an offer of kind "combine").

    One row per (offer, user): the primary key is the uniqueness rule. Each share the
    player makes of that offer adds ``attribute`` to the composition its code carries.
    """

    __tablename__ = "game_players"
    # Players of a game by attribute (counts, and the merchant's list a page at a time).
    __table_args__ = (Index("ix_game_players_offer_list", "offer_id", "created_at", "user_id"),)

    offer_id: Mapped[int] = mapped_column(
        ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    attribute: Mapped[str] = mapped_column(String(16))
    assigned_by: Mapped[str] = mapped_column(String(16), default="merchant")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
