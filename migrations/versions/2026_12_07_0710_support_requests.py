"""support requests: subscribers' questions from the portal and their threads, and the
account's support address the emails about them go to

Revision ID: 2026_12_07_0710
Revises: 2026_12_07_0700
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import recura.db.base

revision: str = '2026_12_07_0710'
down_revision: str | None = '2026_12_07_0700'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('support_requests',
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=True),
    sa.Column('subscription_id', sa.String(length=40), nullable=True),
    sa.Column('first_response_at', recura.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', recura.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=16), nullable=True),
    sa.Column('updated_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id', 'customer_id'], ['customers.account_id', 'customers.id'], name=op.f('fk_support_requests_account_id_customer_id_customers')),
    sa.ForeignKeyConstraint(['account_id', 'invoice_id'], ['invoices.account_id', 'invoices.id'], name=op.f('fk_support_requests_account_id_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['account_id', 'subscription_id'], ['subscriptions.account_id', 'subscriptions.id'], name=op.f('fk_support_requests_account_id_subscription_id_subscriptions')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_support_requests_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'id', name=op.f('pk_support_requests'))
    )
    op.create_index('ix_support_requests_account_id_customer_id_id', 'support_requests', ['account_id', 'customer_id', 'id'], unique=False)
    op.create_index('ix_support_requests_account_id_status_id', 'support_requests', ['account_id', 'status', 'id'], unique=False)
    op.create_table('support_messages',
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('author', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id', 'request_id'], ['support_requests.account_id', 'support_requests.id'], name=op.f('fk_support_messages_account_id_request_id_support_requests')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_support_messages_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'id', name=op.f('pk_support_messages'))
    )
    op.create_index('ix_support_messages_account_id_request_id_id', 'support_messages', ['account_id', 'request_id', 'id'], unique=False)
    # Plain ALTER TABLE on both backends (SQLite 3.35+): a batch copy of `accounts` would
    # trip on every row that references it.
    op.add_column('accounts', sa.Column('support_email', sa.String(length=320), nullable=True))


def downgrade() -> None:
    op.drop_column('accounts', 'support_email')
    op.drop_index('ix_support_messages_account_id_request_id_id', table_name='support_messages')
    op.drop_table('support_messages')
    op.drop_index('ix_support_requests_account_id_status_id', table_name='support_requests')
    op.drop_index('ix_support_requests_account_id_customer_id_id', table_name='support_requests')
    op.drop_table('support_requests')
