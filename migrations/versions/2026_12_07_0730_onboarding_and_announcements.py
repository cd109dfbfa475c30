"""onboarding guides (steps per plan, product or account, and who has done which) and
announcements to subscribers; an email's row is unique per customer too, as an
announcement's event has an email for each customer it targets

Revision ID: 2026_12_07_0730
Revises: 2026_12_07_0720
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import recura.db.base

revision: str = '2026_12_07_0730'
down_revision: str | None = '2026_12_07_0720'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('announcements',
    sa.Column('texts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('product_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('plan_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('statuses', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('published_at', recura.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ends_at', recura.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_event_id', sa.String(length=40), nullable=True),
    sa.Column('email_status', sa.String(length=16), nullable=True),
    sa.Column('email_cursor', sa.String(length=40), nullable=True),
    sa.Column('emails_written', sa.Integer(), nullable=False),
    sa.Column('archived_at', recura.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_announcements_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'id', name=op.f('pk_announcements'))
    )
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.create_index('ix_announcements_email_status', ['email_status'], unique=False)

    op.create_table('onboarding_steps',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=True),
    sa.Column('plan_id', sa.String(length=40), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('link_url', sa.String(length=2000), nullable=True),
    sa.Column('texts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('archived_at', recura.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('product_id IS NULL OR plan_id IS NULL', name=op.f('ck_onboarding_steps_one_scope')),
    sa.ForeignKeyConstraint(['account_id', 'plan_id'], ['plans.account_id', 'plans.id'], name=op.f('fk_onboarding_steps_account_id_plan_id_plans')),
    sa.ForeignKeyConstraint(['account_id', 'product_id'], ['products.account_id', 'products.id'], name=op.f('fk_onboarding_steps_account_id_product_id_products')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_onboarding_steps_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'id', name=op.f('pk_onboarding_steps')),
    sa.UniqueConstraint('account_id', 'livemode', 'code', name=op.f('uq_onboarding_steps_account_id_livemode_code'))
    )
    op.create_table('onboarding_completions',
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('step_id', sa.String(length=40), nullable=False),
    sa.Column('completed_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_by', sa.String(length=16), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id', 'customer_id'], ['customers.account_id', 'customers.id'], name=op.f('fk_onboarding_completions_account_id_customer_id_customers')),
    sa.ForeignKeyConstraint(['account_id', 'step_id'], ['onboarding_steps.account_id', 'onboarding_steps.id'], name=op.f('fk_onboarding_completions_account_id_step_id_onboarding_steps')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_onboarding_completions_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'id', name=op.f('pk_onboarding_completions')),
    sa.UniqueConstraint('account_id', 'customer_id', 'step_id', name=op.f('uq_onboarding_completions_account_id_customer_id_step_id'))
    )
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_email_messages_account_id_event_id_template'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_email_messages_account_id_event_id_template_customer_id'), ['account_id', 'event_id', 'template', 'customer_id'])



def downgrade() -> None:
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_email_messages_account_id_event_id_template_customer_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_email_messages_account_id_event_id_template'), ['account_id', 'event_id', 'template'])

    op.drop_table('onboarding_completions')
    op.drop_table('onboarding_steps')
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.drop_index('ix_announcements_email_status')

    op.drop_table('announcements')
