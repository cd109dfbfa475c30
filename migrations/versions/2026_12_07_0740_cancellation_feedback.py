"""cancellation feedback: each cancellation flow's reason, the retention offer shown and its
outcome; the account's reasons, offer and portal change settings

Revision ID: 2026_12_07_0740
Revises: 2026_12_07_0730
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import recura.db.base

revision: str = '2026_12_07_0740'
down_revision: str | None = '2026_12_07_0730'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
OFFERED = sa.text('offer_kind IS NOT NULL')


# Plain ALTER TABLE for the account's columns, as 0015 does: SQLite adds and drops them in
# place, where copying `accounts` would trip on every row that references it.
def upgrade() -> None:
    op.add_column('accounts', sa.Column('cancellation_reasons', JSON, nullable=True))
    op.add_column('accounts', sa.Column('retention_offer', JSON, nullable=True))
    op.add_column(
        'accounts',
        sa.Column('portal_pause_enabled', sa.Boolean(), server_default='false', nullable=False),
    )
    op.add_column(
        'accounts',
        sa.Column(
            'portal_downgrade_timing',
            sa.String(length=16),
            server_default='period_end',
            nullable=False,
        ),
    )
    op.create_table(
        'cancellation_feedback',
        sa.Column('subscription_id', sa.String(length=40), nullable=False),
        sa.Column('customer_id', sa.String(length=40), nullable=False),
        sa.Column('reason', sa.String(length=64), nullable=True),
        sa.Column('reason_text', sa.String(length=1000), nullable=True),
        sa.Column('offer_kind', sa.String(length=16), nullable=True),
        sa.Column('offer', JSON, nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('canceled', sa.Boolean(), nullable=False),
        sa.Column('access_ends_at', recura.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('answered_at', recura.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('updated_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('created_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['account_id', 'customer_id'],
            ['customers.account_id', 'customers.id'],
            name=op.f('fk_cancellation_feedback_account_id_customers'),
        ),
        sa.ForeignKeyConstraint(
            ['account_id', 'subscription_id'],
            ['subscriptions.account_id', 'subscriptions.id'],
            name=op.f('fk_cancellation_feedback_account_id_subscriptions'),
        ),
        sa.ForeignKeyConstraint(
            ['account_id'],
            ['accounts.id'],
            name=op.f('fk_cancellation_feedback_account_id_accounts'),
        ),
        sa.PrimaryKeyConstraint('account_id', 'id', name=op.f('pk_cancellation_feedback')),
    )
    op.create_index(
        'ix_cancellation_feedback_account_id_subscription_id',
        'cancellation_feedback',
        ['account_id', 'subscription_id'],
        unique=False,
    )
    op.create_index(
        'ix_cancellation_feedback_offered_once',
        'cancellation_feedback',
        ['account_id', 'subscription_id'],
        unique=True,
        sqlite_where=OFFERED,
        postgresql_where=OFFERED,
    )


def downgrade() -> None:
    op.drop_index('ix_cancellation_feedback_offered_once', table_name='cancellation_feedback')
    op.drop_index(
        'ix_cancellation_feedback_account_id_subscription_id', table_name='cancellation_feedback'
    )
    op.drop_table('cancellation_feedback')
    op.drop_column('accounts', 'portal_downgrade_timing')
    op.drop_column('accounts', 'portal_pause_enabled')
    op.drop_column('accounts', 'retention_offer')
    op.drop_column('accounts', 'cancellation_reasons')
