"""index for listing an offer's codes a page at a time (newest first)

Revision ID: 0002_ux
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002_ux"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_codes_offer_list", ["offer_id", "created_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.drop_index("ix_codes_offer_list")
