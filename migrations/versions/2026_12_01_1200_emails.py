"""emails: the messages events call for, operators' templates, sender settings, opt-out

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import recura.db.base

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('email_messages',
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('template', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=True),
    sa.Column('to_address', sa.String(length=320), nullable=True),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('context', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('subject', sa.String(length=998), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('send_after', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('test_clock_id', sa.String(length=40), nullable=True),
    sa.Column('claimed_at', recura.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_attempt_at', recura.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('sent_at', recura.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_email_messages_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'id', name=op.f('pk_email_messages')),
    sa.UniqueConstraint('account_id', 'event_id', 'template', name=op.f('uq_email_messages_account_id_event_id_template'))
    )
    op.create_index('ix_email_messages_status_send_after', 'email_messages', ['status', 'send_after'], unique=False)
    op.create_index('ix_email_messages_account_id_customer_id', 'email_messages', ['account_id', 'customer_id'], unique=False)
    op.create_table('email_templates',
    sa.Column('template', sa.String(length=32), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=998), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_email_templates_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'id', name=op.f('pk_email_templates')),
    sa.UniqueConstraint('account_id', 'livemode', 'template', 'locale', name=op.f('uq_email_templates_account_id_livemode_template_locale'))
    )
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('email_from_name', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('email_from_address', sa.String(length=320), nullable=True))
        batch.add_column(sa.Column('email_reply_to', sa.String(length=320), nullable=True))
        batch.add_column(sa.Column('winback_days', sa.Integer(), server_default='14', nullable=True))
    with op.batch_alter_table('customers') as batch:
        batch.add_column(sa.Column('marketing_opted_out_at', recura.db.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('customers') as batch:
        batch.drop_column('marketing_opted_out_at')
    with op.batch_alter_table('accounts') as batch:
        batch.drop_column('winback_days')
        batch.drop_column('email_reply_to')
        batch.drop_column('email_from_address')
        batch.drop_column('email_from_name')
    op.drop_table('email_templates')
    op.drop_index('ix_email_messages_account_id_customer_id', table_name='email_messages')
    op.drop_index('ix_email_messages_status_send_after', table_name='email_messages')
    op.drop_table('email_messages')
