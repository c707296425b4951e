from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow

REVIEW_MAX = 2000  # characters of a review's text


class ShareReview(Base):
    """A sharer's review of what they shared: at most one per share code.

    The row is keyed by the code, so the scan answer reaches it with one join on the
    primary key; ``user_id`` (the code's holder when written) lists a sharer's reviews.
    """

    __tablename__ = "share_reviews"
    # A sharer's reviews, newest first, a page at a time (their "other reviews").
    __table_args__ = (Index("ix_share_reviews_user_list", "user_id", "updated_at", "code_id"),)

    code_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("codes.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
