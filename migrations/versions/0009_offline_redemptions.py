"""offline redemptions: redeemed_at, conflict_of_id and the conflict list's index

Revision ID: 0009_offline_redemptions
Revises: 0009_receipts
Create Date: 2026-12-02 18:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import relaycode.db.base

revision = "0009_offline_redemptions"
down_revision = "0009_receipts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credential_redemptions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("redeemed_at", relaycode.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("conflict_of_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_credential_redemptions_conflict_of_id_credential_redemptions"),
            "credential_redemptions",
            ["conflict_of_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_index(
            "ix_credential_redemptions_verdict",
            ["merchant_id", "verdict", "created_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("credential_redemptions", schema=None) as batch_op:
        batch_op.drop_index("ix_credential_redemptions_verdict")
        batch_op.drop_constraint(
            batch_op.f("fk_credential_redemptions_conflict_of_id_credential_redemptions"),
            type_="foreignkey",
        )
        batch_op.drop_column("conflict_of_id")
        batch_op.drop_column("redeemed_at")
