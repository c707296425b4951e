"""shares: one active server-made share per (parent, sharer), a holder's codes listed,
sharers' reviews, and scan events flagged as bots or staff

Revision ID: 0005_shares
Revises: 0005_notify
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import relaycode.db.base

revision = "0005_shares"
down_revision = "0005_notify"
branch_labels = None
depends_on = None

_ONE_SHARE = sa.text("kind = 'share' AND format_version = 1 AND status = 'active'")


def upgrade() -> None:
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_codes_holder_list", ["holder_user_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "uq_codes_one_share",
            ["parent_id", "holder_user_id"],
            unique=True,
            sqlite_where=_ONE_SHARE,
            postgresql_where=_ONE_SHARE,
        )
    op.create_table(
        "share_reviews",
        sa.Column("code_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["code_id"],
            ["codes.id"],
            name=op.f("fk_share_reviews_code_id_codes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_share_reviews_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_id", name=op.f("pk_share_reviews")),
    )
    with op.batch_alter_table("share_reviews", schema=None) as batch_op:
        batch_op.create_index(
            "ix_share_reviews_user_list", ["user_id", "updated_at", "code_id"], unique=False
        )
    with op.batch_alter_table("scan_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_bot", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("is_staff", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("scan_events", schema=None) as batch_op:
        batch_op.drop_column("is_staff")
        batch_op.drop_column("is_bot")
    with op.batch_alter_table("share_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_share_reviews_user_list")
    op.drop_table("share_reviews")
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.drop_index("uq_codes_one_share")
        batch_op.drop_index("ix_codes_holder_list")
