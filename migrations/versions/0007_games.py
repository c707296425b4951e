"""games: offers.kind ("standard" or "combine") and offers.game (attributes and
recipes), and game_players (one attribute per player and combining game)

Revision ID: 0007_games
Revises: 0007_analytics
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import relaycode.db.base

revision = "0007_games"
down_revision = "0007_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="standard", nullable=False)
        )
        batch_op.add_column(sa.Column("game", sa.JSON(), nullable=True))
    op.create_table(
        "game_players",
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("attribute", sa.String(length=16), nullable=False),
        sa.Column("assigned_by", sa.String(length=16), nullable=False),
        sa.Column("created_at", relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["offers.id"],
            name=op.f("fk_game_players_offer_id_offers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_game_players_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("offer_id", "user_id", name=op.f("pk_game_players")),
    )
    with op.batch_alter_table("game_players", schema=None) as batch_op:
        batch_op.create_index(
            "ix_game_players_offer_list", ["offer_id", "created_at", "user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_game_players_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("game_players", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_game_players_user_id"))
        batch_op.drop_index("ix_game_players_offer_list")
    op.drop_table("game_players")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_column("game")
        batch_op.drop_column("kind")
