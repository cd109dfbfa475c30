"""the portal's email change: a request per new address, confirmed once by its link

Revision ID: 2026_12_07_0810
Revises: 2026_12_07_0800
Create Date: 2026-12-07 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recura.db.base import UTCDateTime

revision: str = '2026_12_07_0810'
down_revision: str | None = '2026_12_07_0800'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'email_changes',
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('customer_id', sa.String(length=40), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('confirmed_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['account_id'], ['accounts.id'], name='fk_email_changes_account_id_accounts'
        ),
        sa.ForeignKeyConstraint(
            ['account_id', 'customer_id'],
            ['customers.account_id', 'customers.id'],
            name='fk_email_changes_account_id_customers',
        ),
        sa.PrimaryKeyConstraint('account_id', 'id', name='pk_email_changes'),
    )
    op.create_index(
        'ix_email_changes_account_id_customer_id',
        'email_changes',
        ['account_id', 'customer_id'],
    )


def downgrade() -> None:
    op.drop_index('ix_email_changes_account_id_customer_id', table_name='email_changes')
    op.drop_table('email_changes')
