"""What happens to credentials: redemptions, endorsements, revocations, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow


class CredentialRedemption(Base):
    """One redeem attempt by a verifier, accepted or refused, made once per nonce.

    The verifier's ``nonce`` makes a retry (or two copies racing) answer the first
    result: ``http_status`` and the figures after it are what that answer said.
    """

    __tablename__ = "credential_redemptions"
    __table_args__ = (
        UniqueConstraint("verifier_user_id", "nonce"),
        # The issuer's conflict list (verdict "conflict"), newest first.
        Index("ix_credential_redemptions_verdict", "merchant_id", "verdict", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(
        ForeignKey("credentials.id", ondelete="RESTRICT"), index=True
    )
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="RESTRICT"))
    verifier_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    nonce: Mapped[str] = mapped_column(String(100))
    station: Mapped[str | None] = mapped_column(String(100))
    form: Mapped[str] = mapped_column(String(16), default="reference")
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    verdict: Mapped[str] = mapped_column(String(16))  # accepted | refused | conflict
    reason: Mapped[str | None] = mapped_column(String(40))
    http_status: Mapped[int] = mapped_column(SmallInteger, default=201)
    uses_left: Mapped[int | None] = mapped_column(Integer)
    balance_minor: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Offline (uploaded later, docs/credentials.md): when the station says it redeemed,
    # and for a conflict the accepted redemption this one collided with.
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    conflict_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("credential_redemptions.id", ondelete="RESTRICT")
    )


class CredentialEndorsement(Base):
    """Fig. 9: the holder of ``from_credential_id`` named the holder of the next one."""

    __tablename__ = "credential_endorsements"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_credential_id: Mapped[str] = mapped_column(
        ForeignKey("credentials.id", ondelete="RESTRICT"), unique=True
    )
    to_credential_id: Mapped[str] = mapped_column(
        ForeignKey("credentials.id", ondelete="RESTRICT"), unique=True
    )
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # How the endorser named the new holder, as they may see it again (holders.Holder).
    to_label: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CredentialRevocation(Base):
    """A credential that no longer counts, in the versioned revocation list.

    ``version`` is handed out under the lock of the list's counter row
    (``CredentialListVersion``), so versions commit in order: a verifier that synced up to
    N never misses a revocation that later commits with a version at or below N.
    """

    __tablename__ = "credential_revocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(
        ForeignKey("credentials.id", ondelete="RESTRICT"), unique=True
    )
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(BigInteger, unique=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CredentialListVersion(Base):
    """The revocation list's counter: one row, locked to hand out the next version."""

    __tablename__ = "credential_list_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class CredentialAudit(Base):
    """The issuer's log: issued, claimed, endorsed, revoked, redeemed, refused, verified."""

    __tablename__ = "credential_audit"
    __table_args__ = (Index("ix_credential_audit_list", "merchant_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(24))
    credential_id: Mapped[str | None] = mapped_column(String(32), index=True)
    item_id: Mapped[int | None] = mapped_column(Integer)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    station: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
