"""verified phone numbers: users.phone_verified_at, one holder per verified number,
and the one-time codes that prove a number (phone_codes)

Revision ID: 0008_phone
Revises: 0007_offline_shares

Existing ``users.phone`` values stay as they are: unverified claims, typed at sign-up
before numbers were normalised. None is verified, so the unique index holds at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import relaycode.db.base

revision = "0008_phone"
down_revision = "0007_offline_shares"
branch_labels = None
depends_on = None

_VERIFIED = sa.text("phone_verified_at IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "phone_verified_at", relaycode.db.base.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.create_index(
        "ux_users_verified_phone",
        "users",
        ["phone"],
        unique=True,
        sqlite_where=_VERIFIED,
        postgresql_where=_VERIFIED,
    )
    op.create_table(
        "phone_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_phone_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_codes")),
        sa.UniqueConstraint("user_id", name=op.f("uq_phone_codes_user_id")),
    )


def downgrade() -> None:
    op.drop_table("phone_codes")
    op.drop_index("ux_users_verified_phone", table_name="users")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("phone_verified_at")
