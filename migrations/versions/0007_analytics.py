"""analytics: scan events by code and time

Revision ID: 0007_analytics
Revises: 0006_orders
"""

from __future__ import annotations

from alembic import op

revision = "0007_analytics"
down_revision = "0006_orders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scan_events", schema=None) as batch_op:
        batch_op.create_index("ix_scan_events_code_time", ["code_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scan_events", schema=None) as batch_op:
        batch_op.drop_index("ix_scan_events_code_time")
