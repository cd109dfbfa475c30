"""public pages and branding on the account (slug, colour, legal links, who may frame the
pricing page, its highlighted plan), the account's logo, and portal sessions

Revision ID: 2026_12_07_0700
Revises: 2026_12_07_0430
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recura.db.base import UTCDateTime

revision: str = '2026_12_07_0700'
down_revision: str | None = '2026_12_07_0430'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    # Plain ADD COLUMNs: SQLite would otherwise rebuild `accounts`, which every table refers to.
    op.add_column('accounts', sa.Column('slug', sa.String(length=64), nullable=True))
    op.add_column(
        'accounts',
        sa.Column('brand_color', sa.String(length=7), nullable=False, server_default='#2f6fed'),
    )
    op.add_column('accounts', sa.Column('terms_url', sa.String(length=500), nullable=True))
    op.add_column('accounts', sa.Column('privacy_url', sa.String(length=500), nullable=True))
    op.add_column(
        'accounts', sa.Column('pricing_embed_origins', JSON, nullable=False, server_default='[]')
    )
    op.add_column(
        'accounts', sa.Column('pricing_highlight_plan_id', sa.String(length=40), nullable=True)
    )
    op.create_index('ix_accounts_slug', 'accounts', ['slug'], unique=True)
    op.create_table(
        'account_logos',
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('content_type', sa.String(length=32), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['account_id'], ['accounts.id'], name='fk_account_logos_account_id_accounts'
        ),
        sa.PrimaryKeyConstraint('account_id', name='pk_account_logos'),
    )
    op.create_table(
        'portal_sessions',
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('customer_id', sa.String(length=40), nullable=False),
        sa.Column('origin', sa.String(length=16), nullable=False),
        sa.Column('locale', sa.String(length=16), nullable=True),
        sa.Column('return_url', sa.String(length=2000), nullable=True),
        sa.Column('link_expires_at', UTCDateTime(), nullable=False),
        sa.Column('link_used_at', UTCDateTime(), nullable=True),
        sa.Column('secret_hash', sa.String(length=64), nullable=True),
        sa.Column('last_seen_at', UTCDateTime(), nullable=True),
        sa.Column('ended_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['account_id'], ['accounts.id'], name='fk_portal_sessions_account_id_accounts'
        ),
        sa.ForeignKeyConstraint(
            ['account_id', 'customer_id'],
            ['customers.account_id', 'customers.id'],
            name='fk_portal_sessions_account_id_customers',
        ),
        sa.PrimaryKeyConstraint('account_id', 'id', name='pk_portal_sessions'),
    )


def downgrade() -> None:
    op.drop_table('portal_sessions')
    op.drop_table('account_logos')
    op.drop_index('ix_accounts_slug', table_name='accounts')
    for column in (
        'pricing_highlight_plan_id',
        'pricing_embed_origins',
        'privacy_url',
        'terms_url',
        'brand_color',
        'slug',
    ):
        op.drop_column('accounts', column)
