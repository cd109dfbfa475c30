"""partner perks: benefits of partner brands that plans and add-ons grant, and the pools of
voucher codes handed out one per customer

Revision ID: 2026_12_07_0720
Revises: 2026_12_07_0710
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import recura.db.base

revision: str = '2026_12_07_0720'
down_revision: str | None = '2026_12_07_0710'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('partner_perks',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('partner_name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('url_template', sa.String(length=2048), nullable=True),
    sa.Column('secret', sa.String(length=100), nullable=True),
    sa.Column('low_stock_threshold', sa.Integer(), nullable=True),
    sa.Column('pool_low_at', recura.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('plan_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('add_on_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('archived_at', recura.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_partner_perks_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'id', name=op.f('pk_partner_perks'))
    )
    op.create_table('perk_vouchers',
    sa.Column('perk_id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=200), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=True),
    sa.Column('subscription_id', sa.String(length=40), nullable=True),
    sa.Column('assigned_at', recura.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id', 'customer_id'], ['customers.account_id', 'customers.id'], name=op.f('fk_perk_vouchers_account_id_customer_id_customers')),
    sa.ForeignKeyConstraint(['account_id', 'perk_id'], ['partner_perks.account_id', 'partner_perks.id'], name=op.f('fk_perk_vouchers_account_id_perk_id_partner_perks')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_perk_vouchers_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'id', name=op.f('pk_perk_vouchers')),
    sa.UniqueConstraint('account_id', 'perk_id', 'code', name=op.f('uq_perk_vouchers_account_id_perk_id_code')),
    sa.UniqueConstraint('account_id', 'perk_id', 'customer_id', name=op.f('uq_perk_vouchers_account_id_perk_id_customer_id'))
    )
    with op.batch_alter_table('perk_vouchers', schema=None) as batch_op:
        batch_op.create_index('ix_perk_vouchers_available', ['account_id', 'perk_id', 'id'], unique=False, sqlite_where=sa.text('customer_id IS NULL'), postgresql_where=sa.text('customer_id IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('perk_vouchers', schema=None) as batch_op:
        batch_op.drop_index('ix_perk_vouchers_available', sqlite_where=sa.text('customer_id IS NULL'), postgresql_where=sa.text('customer_id IS NULL'))

    op.drop_table('perk_vouchers')
    op.drop_table('partner_perks')
