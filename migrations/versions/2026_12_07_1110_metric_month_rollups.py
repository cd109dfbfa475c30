"""metrics: per-customer month movements, monthly totals per cohort, acquisitions per channel

The new tables are filled by folding the event log again: the existing rollups are
cleared and the fold's cursor goes back to the start, as `recura metrics rebuild` does.

Revision ID: 2026_12_07_1110
Revises: 2026_12_07_1100
Create Date: 2026-12-07 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '2026_12_07_1110'
down_revision: str | None = '2026_12_07_1100'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TYPES = ('new', 'expansion', 'contraction', 'churn', 'reactivation')


def _account(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ['account_id'], ['accounts.id'], name=f'fk_{table}_account_id_accounts'
    )


def _refold() -> None:
    for table in ('metric_customer_states', 'mrr_movements', 'metric_rollups_daily'):
        op.execute(sa.text(f'DELETE FROM {table}'))  # noqa: S608 (fixed names)
    op.execute(sa.text('UPDATE metric_cursors SET last_event_id = NULL'))


def upgrade() -> None:
    counts = [sa.Column(name, sa.BigInteger(), nullable=False) for name in TYPES] + [
        sa.Column(f'{name}_customers', sa.Integer(), nullable=False) for name in TYPES
    ]
    op.create_table(
        'metric_rollups_monthly',
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('cohort', sa.Date(), nullable=False),
        *counts,
        sa.Column('joined', sa.Integer(), nullable=False),
        _account('metric_rollups_monthly'),
        sa.PrimaryKeyConstraint(
            'account_id',
            'livemode',
            'currency',
            'month',
            'cohort',
            name='pk_metric_rollups_monthly',
        ),
    )
    op.create_table(
        'mrr_month_movements',
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('customer_id', sa.String(length=40), nullable=False),
        sa.Column('cohort', sa.Date(), nullable=False),
        sa.Column('type', sa.String(length=16), nullable=True),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('channel', sa.String(length=40), nullable=True),
        _account('mrr_month_movements'),
        sa.PrimaryKeyConstraint(
            'account_id',
            'livemode',
            'currency',
            'month',
            'customer_id',
            name='pk_mrr_month_movements',
        ),
    )
    op.create_table(
        'metric_acquisitions_monthly',
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('channel', sa.String(length=40), nullable=False),
        sa.Column('customers', sa.Integer(), nullable=False),
        _account('metric_acquisitions_monthly'),
        sa.PrimaryKeyConstraint(
            'account_id',
            'livemode',
            'currency',
            'month',
            'channel',
            name='pk_metric_acquisitions_monthly',
        ),
    )
    op.create_index(
        'ix_mrr_month_movements_customer',
        'mrr_month_movements',
        ['account_id', 'livemode', 'customer_id'],
    )
    _refold()


def downgrade() -> None:
    op.drop_index('ix_mrr_month_movements_customer', table_name='mrr_month_movements')
    op.drop_table('metric_acquisitions_monthly')
    op.drop_table('mrr_month_movements')
    op.drop_table('metric_rollups_monthly')
