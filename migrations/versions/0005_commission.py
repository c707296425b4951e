"""commission rules: a merchant's defaults and offers' own (referrals/commission_rules.py)

Revision ID: 0005_commission
Revises: 0004_code_device
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import relaycode.db.base

revision = "0005_commission"
down_revision = "0004_code_device"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merchant_commission_rules",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("max_depth", sa.Integer(), nullable=False),
        sa.Column("cap_minor", sa.BigInteger(), nullable=True),
        sa.Column("min_order_minor", sa.BigInteger(), nullable=False),
        sa.Column("first_purchase_only", sa.Boolean(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("bind_mode", sa.String(length=16), nullable=False),
        sa.Column("hold_days", sa.Integer(), nullable=False),
        sa.Column("platform_percent_bp", sa.Integer(), nullable=False),
        sa.Column("platform_fixed_minor", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_merchant_commission_rules_merchant_id_merchants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("merchant_id", name=op.f("pk_merchant_commission_rules")),
    )
    op.create_table(
        "offer_commission_rules",
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("overriding", sa.Boolean(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("max_depth", sa.Integer(), nullable=False),
        sa.Column("cap_minor", sa.BigInteger(), nullable=True),
        sa.Column("min_order_minor", sa.BigInteger(), nullable=False),
        sa.Column("first_purchase_only", sa.Boolean(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("bind_mode", sa.String(length=16), nullable=False),
        sa.Column("hold_days", sa.Integer(), nullable=False),
        sa.Column("platform_percent_bp", sa.Integer(), nullable=False),
        sa.Column("platform_fixed_minor", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_offer_commission_rules_merchant_id_merchants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["offers.id"],
            name=op.f("fk_offer_commission_rules_offer_id_offers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("offer_id", name=op.f("pk_offer_commission_rules")),
    )
    with op.batch_alter_table("offer_commission_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_offer_commission_rules_merchant_id"), ["merchant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("offer_commission_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_commission_rules_merchant_id"))

    op.drop_table("offer_commission_rules")
    op.drop_table("merchant_commission_rules")
