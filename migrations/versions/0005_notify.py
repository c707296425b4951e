"""notifications: users' inboxes; webhook endpoints, the outbox of deliveries, attempts

Revision ID: 0005_notify
Revises: 0005_commission
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import relaycode.db.base

revision = "0005_notify"
down_revision = "0005_commission"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbox_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=128), nullable=True),
    sa.Column('created_at', relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', relaycode.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inbox_items_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_items')),
    sa.UniqueConstraint('user_id', 'dedupe_key', name=op.f('uq_inbox_items_user_id'))
    )
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_items_user_id_id', ['user_id', 'id'], unique=False)
        batch_op.create_index('ix_inbox_items_user_id_read_at', ['user_id', 'read_at'], unique=False)

    op.create_table('webhook_endpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('events', sa.String(length=1000), nullable=False),
    sa.Column('secret', sa.String(length=80), nullable=False),
    sa.Column('previous_secret', sa.String(length=80), nullable=True),
    sa.Column('previous_expires_at', relaycode.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', relaycode.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_webhook_endpoints_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints'))
    )
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoints_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('replay', sa.SmallInteger(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.SmallInteger(), nullable=False),
    sa.Column('next_attempt_at', relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claim', sa.String(length=32), nullable=True),
    sa.Column('last_attempt_at', relaycode.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.SmallInteger(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], name=op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_webhook_deliveries_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('endpoint_id', 'event_id', 'replay', name=op.f('uq_webhook_deliveries_endpoint_id'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_endpoint_id_id', ['endpoint_id', 'id'], unique=False)
        batch_op.create_index('ix_webhook_deliveries_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)

    op.create_table('webhook_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('delivery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('attempted_at', relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.SmallInteger(), nullable=True),
    sa.Column('response_excerpt', sa.String(length=500), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_deliveries.id'], name=op.f('fk_webhook_attempts_delivery_id_webhook_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempts'))
    )
    with op.batch_alter_table('webhook_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_attempts_delivery_id'), ['delivery_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('webhook_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_attempts_delivery_id'))

    op.drop_table('webhook_attempts')
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_status_next_attempt_at')
        batch_op.drop_index('ix_webhook_deliveries_endpoint_id_id')

    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoints_merchant_id'))

    op.drop_table('webhook_endpoints')
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_items_user_id_read_at')
        batch_op.drop_index('ix_inbox_items_user_id_id')

    op.drop_table('inbox_items')
