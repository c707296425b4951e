"""one-time flashes already shown (web/flash.py): their ids, until they expire

Revision ID: 0003_flashes
Revises: 0002_ux
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import relaycode.db.base

revision = "0003_flashes"
down_revision = "0002_ux"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flashes_shown",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("expires_at", relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flashes_shown")),
    )
    with op.batch_alter_table("flashes_shown", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_flashes_shown_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("flashes_shown", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flashes_shown_expires_at"))
    op.drop_table("flashes_shown")
