"""hosted checkout: checkout sessions; customers billed as a person or a company (legal name,
trade-register number); whether a trial needs a payment method

Revision ID: 2026_12_07_0750
Revises: 2026_12_07_0740
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import recura.db.base

revision: str = '2026_12_07_0750'
down_revision: str | None = '2026_12_07_0740'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
INSTANT = recura.db.base.UTCDateTime(timezone=True)


# Plain ALTER TABLE for the new columns: SQLite adds them in place, where copying
# `accounts` or `customers` would trip on every row that references them.
def upgrade() -> None:
    op.add_column(
        'accounts',
        sa.Column(
            'trial_requires_payment_method',
            sa.Boolean(),
            server_default='true',
            nullable=False,
        ),
    )
    op.add_column(
        'customers',
        sa.Column('kind', sa.String(length=16), server_default='individual', nullable=False),
    )
    op.add_column('customers', sa.Column('legal_name', sa.String(length=200), nullable=True))
    op.add_column(
        'customers', sa.Column('registration_number', sa.String(length=64), nullable=True)
    )
    op.create_table(
        'checkout_sessions',
        sa.Column('plan_id', sa.String(length=40), nullable=False),
        sa.Column('quantity', sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column('add_ons', JSON, nullable=False),
        sa.Column('coupon_id', sa.String(length=40), nullable=True),
        sa.Column('allow_promotion_codes', sa.Boolean(), nullable=False),
        sa.Column('promotion_code_id', sa.String(length=40), nullable=True),
        sa.Column('customer_id', sa.String(length=40), nullable=True),
        sa.Column('customer_given', sa.Boolean(), nullable=False),
        sa.Column('customer_email', sa.String(length=320), nullable=True),
        sa.Column('locale', sa.String(length=16), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('success_url', sa.String(length=2048), nullable=True),
        sa.Column('cancel_url', sa.String(length=2048), nullable=True),
        sa.Column('metadata', JSON, nullable=False),
        sa.Column('acquisition', JSON, nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('stage', sa.String(length=16), nullable=True),
        sa.Column('opened_at', INSTANT, nullable=True),
        sa.Column('details_at', INSTANT, nullable=True),
        sa.Column('payment_method_at', INSTANT, nullable=True),
        sa.Column('confirmed_at', INSTANT, nullable=True),
        sa.Column('details', JSON, nullable=True),
        sa.Column('terms_accepted_at', INSTANT, nullable=True),
        sa.Column('last_error', sa.String(length=64), nullable=True),
        sa.Column('subscription_id', sa.String(length=40), nullable=True),
        sa.Column('expires_at', INSTANT, nullable=False),
        sa.Column('completed_at', INSTANT, nullable=True),
        sa.Column('updated_at', INSTANT, nullable=False),
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('created_at', INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ['account_id'], ['accounts.id'], name=op.f('fk_checkout_sessions_account_id_accounts')
        ),
        sa.ForeignKeyConstraint(
            ['account_id', 'customer_id'],
            ['customers.account_id', 'customers.id'],
            name=op.f('fk_checkout_sessions_account_id_customer_id_customers'),
        ),
        sa.ForeignKeyConstraint(
            ['account_id', 'plan_id'],
            ['plans.account_id', 'plans.id'],
            name=op.f('fk_checkout_sessions_account_id_plan_id_plans'),
        ),
        sa.PrimaryKeyConstraint('account_id', 'id', name=op.f('pk_checkout_sessions')),
        sa.UniqueConstraint(
            'account_id',
            'subscription_id',
            name=op.f('uq_checkout_sessions_account_id_subscription_id'),
        ),
    )
    with op.batch_alter_table('checkout_sessions', schema=None) as batch_op:
        batch_op.create_index(
            'ix_checkout_sessions_account_id_status',
            ['account_id', 'livemode', 'status'],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table('checkout_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_checkout_sessions_account_id_status')
    op.drop_table('checkout_sessions')
    op.drop_column('customers', 'registration_number')
    op.drop_column('customers', 'legal_name')
    op.drop_column('customers', 'kind')
    op.drop_column('accounts', 'trial_requires_payment_method')
