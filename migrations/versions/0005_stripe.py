"""payment attempts, refunds and provider events (Stripe)

Revision ID: 0005_stripe
Revises: 0005_shares
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import relaycode.db.base

revision = "0005_stripe"
down_revision = "0005_shares"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment_attempts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('provider_ref', sa.String(length=255), nullable=True),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=True),
    sa.Column('payer_user_id', sa.Integer(), nullable=True),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_refunded', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('failure_code', sa.String(length=64), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('created_at', relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_payment_attempts_merchant_id_merchants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['payer_user_id'], ['users.id'], name=op.f('fk_payment_attempts_payer_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_attempts')),
    sa.UniqueConstraint('provider', 'idempotency_key', name=op.f('uq_payment_attempts_provider')),
    sa.UniqueConstraint('provider_ref', name=op.f('uq_payment_attempts_provider_ref'))
    )
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_attempts_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_attempts_payer_user_id'), ['payer_user_id'], unique=False)
        batch_op.create_index('ix_payment_attempts_subject', ['purpose', 'subject_id'], unique=False)

    op.create_table('payment_refunds',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('attempt_id', sa.String(length=32), nullable=False),
    sa.Column('provider_ref', sa.String(length=255), nullable=True),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('created_at', relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['payment_attempts.id'], name=op.f('fk_payment_refunds_attempt_id_payment_attempts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_refunds')),
    sa.UniqueConstraint('attempt_id', 'idempotency_key', name=op.f('uq_payment_refunds_attempt_id')),
    sa.UniqueConstraint('provider_ref', name=op.f('uq_payment_refunds_provider_ref'))
    )
    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_refunds_attempt_id'), ['attempt_id'], unique=False)

    op.create_table('provider_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=True),
    sa.Column('provider_ref', sa.String(length=255), nullable=True),
    sa.Column('attempt_id', sa.String(length=32), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('received_at', relaycode.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', relaycode.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['payment_attempts.id'], name=op.f('fk_provider_events_attempt_id_payment_attempts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_events')),
    sa.UniqueConstraint('provider', 'event_id', name=op.f('uq_provider_events_provider'))
    )
    with op.batch_alter_table('provider_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_events_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_provider_events_provider_ref'), ['provider_ref'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('provider_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_events_provider_ref'))
        batch_op.drop_index(batch_op.f('ix_provider_events_attempt_id'))

    op.drop_table('provider_events')
    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_refunds_attempt_id'))

    op.drop_table('payment_refunds')
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_attempts_subject')
        batch_op.drop_index(batch_op.f('ix_payment_attempts_payer_user_id'))
        batch_op.drop_index(batch_op.f('ix_payment_attempts_merchant_id'))

    op.drop_table('payment_attempts')
