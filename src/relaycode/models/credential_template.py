from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow

TEMPLATE_KINDS = ("bank_bill", "ticket", "access_pass", "service_voucher", "receipt", "custom")
FIELD_TYPES = ("text", "money", "date", "int")
USE_MODES = ("single", "count", "balance")
FORMS = ("reference", "signed", "rotating")


class CredentialTemplate(Base):
    """What a merchant issues (a bank bill, a ticket, a pass): the fields each item
    carries and the rules of the credential it becomes (docs/credentials.md)."""

    __tablename__ = "credential_templates"
    __table_args__ = (Index("ix_credential_templates_list", "merchant_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(200))
    # [{"key", "label", "type"}], type one of FIELD_TYPES.
    fields: Mapped[list[Any]] = mapped_column(JSON, default=list)
    use_mode: Mapped[str] = mapped_column(String(16), default="single")
    max_uses: Mapped[int | None] = mapped_column(Integer)  # use_mode "count"
    currency: Mapped[str | None] = mapped_column(String(3))  # use_mode "balance"
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_days: Mapped[int | None] = mapped_column(Integer)  # from issuance
    transferable: Mapped[bool] = mapped_column(Boolean, default=False)
    max_endorsements: Mapped[int] = mapped_column(SmallInteger, default=0)
    forms: Mapped[list[Any]] = mapped_column(JSON, default=lambda: ["reference"])
    show_holder_name: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | archived
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
