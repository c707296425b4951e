"""endorsements: how the endorser named the new holder (to_label)

A holder's history named the account they endorsed to; for an endorsement by phone
number that told the endorser which account owns the number. The page now shows what
they typed (the number masked). Earlier rows keep NULL: shown as "someone".

Revision ID: 0010_endorsement_label
Revises: 0009_offline_redemptions
Create Date: 2026-12-03 17:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_endorsement_label"
down_revision = "0009_offline_redemptions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credential_endorsements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("to_label", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credential_endorsements", schema=None) as batch_op:
        batch_op.drop_column("to_label")
