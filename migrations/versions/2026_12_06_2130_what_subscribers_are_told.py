"""what subscribers are told: their language's fallback, the reminder before a sent invoice
falls due, and each email's rendered text and HTML

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('fallback_locale', sa.String(length=16), server_default='en', nullable=False)
        )
        batch_op.add_column(
            sa.Column('invoice_reminder_days', sa.Integer(), server_default='3', nullable=True)
        )
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('html', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.drop_column('html')
        batch_op.drop_column('text')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('invoice_reminder_days')
        batch_op.drop_column('fallback_locale')
