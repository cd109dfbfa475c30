"""metrics: daily MRR rollups, per-customer movements and fold state; exchange rates

Revision ID: 2026_12_07_0920
Revises: 2026_12_07_0910
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recura.db.base import JSONType, UTCDateTime

revision: str = '2026_12_07_0920'
down_revision: str | None = '2026_12_07_0910'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MRR_CHANGED = sa.text('mrr_delta <> 0')


def _account(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ['account_id'], ['accounts.id'], name=f'fk_{table}_account_id_accounts'
    )


def upgrade() -> None:
    op.create_table(
        'metric_cursors',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('last_event_id', sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint('name', name='pk_metric_cursors'),
    )
    op.create_table(
        'exchange_rates',
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('base', sa.String(length=3), nullable=False),
        sa.Column('quote', sa.String(length=3), nullable=False),
        sa.Column('rate', sa.String(length=40), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        _account('exchange_rates'),
        sa.PrimaryKeyConstraint('account_id', 'id', name='pk_exchange_rates'),
        sa.UniqueConstraint(
            'account_id',
            'livemode',
            'base',
            'quote',
            'day',
            name='uq_exchange_rates_account_id_livemode_base_quote_day',
        ),
    )
    op.create_table(
        'metric_customer_states',
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('customer_id', sa.String(length=40), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('day', sa.Date(), nullable=True),
        sa.Column('opening', sa.BigInteger(), nullable=False),
        sa.Column('mrr', sa.BigInteger(), nullable=False),
        sa.Column('earned', sa.Boolean(), nullable=False),
        sa.Column('churned_on', sa.Date(), nullable=True),
        sa.Column('subscriptions', JSONType, nullable=False),
        _account('metric_customer_states'),
        sa.PrimaryKeyConstraint(
            'account_id', 'livemode', 'customer_id', 'currency', name='pk_metric_customer_states'
        ),
    )
    counts = [
        sa.Column(name, sa.BigInteger(), nullable=False)
        for name in ('new', 'expansion', 'contraction', 'churn', 'reactivation')
    ] + [
        sa.Column(f'{name}_customers', sa.Integer(), nullable=False)
        for name in ('new', 'expansion', 'contraction', 'churn', 'reactivation')
    ]
    op.create_table(
        'metric_rollups_daily',
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        *counts,
        _account('metric_rollups_daily'),
        sa.PrimaryKeyConstraint(
            'account_id', 'livemode', 'day', 'currency', name='pk_metric_rollups_daily'
        ),
    )
    op.create_table(
        'mrr_movements',
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('customer_id', sa.String(length=40), nullable=False),
        sa.Column('type', sa.String(length=16), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        _account('mrr_movements'),
        sa.PrimaryKeyConstraint(
            'account_id', 'livemode', 'day', 'currency', 'customer_id', name='pk_mrr_movements'
        ),
    )
    op.create_index(
        'ix_mrr_movements_customer', 'mrr_movements', ['account_id', 'livemode', 'customer_id']
    )
    op.create_index(
        'ix_events_mrr_changes',
        'events',
        ['id'],
        sqlite_where=MRR_CHANGED,
        postgresql_where=MRR_CHANGED,
    )


def downgrade() -> None:
    op.drop_index('ix_events_mrr_changes', table_name='events')
    op.drop_index('ix_mrr_movements_customer', table_name='mrr_movements')
    for table in (
        'mrr_movements',
        'metric_rollups_daily',
        'metric_customer_states',
        'exchange_rates',
        'metric_cursors',
    ):
        op.drop_table(table)
