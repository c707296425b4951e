"""codes.share_counter: the counter of a phone-made share (format 2)

Revision ID: 0007_offline_shares
Revises: 0007_games
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_offline_shares"
down_revision = "0007_games"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("share_counter", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.drop_column("share_counter")
