"""acquisition and engagement: each customer's acquisition channel and utm fields; what was
spent per channel and month; customers' activity, a row per customer, day and feature;
partial indexes for the at-risk list (open invoices, scheduled cancellations)

Revision ID: 2026_12_07_0940
Revises: 2026_12_07_0930
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import recura.db.base

revision: str = '2026_12_07_0940'
down_revision: str | None = '2026_12_07_0930'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
INSTANT = recura.db.base.UTCDateTime(timezone=True)


def _tenant_columns() -> list[sa.Column[object]]:
    return [
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('created_at', INSTANT, nullable=False),
    ]


# Plain ALTER TABLE for the customers' columns: SQLite adds them in place, where copying
# `customers` would trip on every row that references it.
def upgrade() -> None:
    op.add_column('customers', sa.Column('acquisition_channel', sa.String(length=40)))
    op.add_column('customers', sa.Column('acquisition', JSON, nullable=True))
    op.create_index(
        'ix_customers_account_id_acquisition_channel',
        'customers',
        ['account_id', 'acquisition_channel'],
    )
    op.create_table(
        'acquisition_spend',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('channel', sa.String(length=40), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('updated_at', INSTANT, nullable=False),
        *_tenant_columns(),
        sa.ForeignKeyConstraint(
            ['account_id'], ['accounts.id'], name='fk_acquisition_spend_account_id_accounts'
        ),
        sa.PrimaryKeyConstraint('account_id', 'id', name='pk_acquisition_spend'),
        sa.UniqueConstraint(
            'account_id',
            'livemode',
            'month',
            'channel',
            'currency',
            name='uq_acquisition_spend_month_channel_currency',
        ),
    )
    op.create_index(
        'ix_acquisition_spend_account_id_livemode_channel',
        'acquisition_spend',
        ['account_id', 'livemode', 'channel'],
    )
    op.create_table(
        'customer_activity',
        sa.Column('customer_id', sa.String(length=40), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('feature', sa.String(length=64), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.Column('last_at', INSTANT, nullable=False),
        *_tenant_columns(),
        sa.ForeignKeyConstraint(
            ['account_id'], ['accounts.id'], name='fk_customer_activity_account_id_accounts'
        ),
        sa.PrimaryKeyConstraint('account_id', 'id', name='pk_customer_activity'),
        sa.UniqueConstraint(
            'account_id',
            'livemode',
            'customer_id',
            'day',
            'feature',
            name='uq_customer_activity_customer_day_feature',
        ),
    )
    op.create_index(
        'ix_customer_activity_account_id_livemode_day',
        'customer_activity',
        ['account_id', 'livemode', 'day'],
    )


    op.create_index(
        'ix_invoices_open_by_customer',
        'invoices',
        ['account_id', 'livemode', 'customer_id'],
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index(
        'ix_subscriptions_cancel_scheduled',
        'subscriptions',
        ['account_id', 'livemode', 'customer_id'],
        sqlite_where=sa.text('cancel_at_period_end'),
        postgresql_where=sa.text('cancel_at_period_end'),
    )


def downgrade() -> None:
    op.drop_index('ix_subscriptions_cancel_scheduled', table_name='subscriptions')
    op.drop_index('ix_invoices_open_by_customer', table_name='invoices')
    op.drop_index('ix_customer_activity_account_id_livemode_day', table_name='customer_activity')
    op.drop_table('customer_activity')
    op.drop_index(
        'ix_acquisition_spend_account_id_livemode_channel', table_name='acquisition_spend'
    )
    op.drop_table('acquisition_spend')
    op.drop_index('ix_customers_account_id_acquisition_channel', table_name='customers')
    op.drop_column('customers', 'acquisition')
    op.drop_column('customers', 'acquisition_channel')
