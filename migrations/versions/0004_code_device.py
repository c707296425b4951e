"""codes.device_id: the device a share was made on (self-referral checks compare devices)

Revision ID: 0004_code_device
Revises: 0003_flashes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_code_device"
down_revision = "0003_flashes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_codes_device_id"), ["device_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_codes_device_id_devices"),
            "devices",
            ["device_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_codes_device_id_devices"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_codes_device_id"))
        batch_op.drop_column("device_id")
