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


# Plain ALTER TABLE rather than a batch copy: SQLite adds and drops these columns in place
# (3.35+), where copying `accounts` would trip on every row that references it.
def upgrade() -> None:
    op.add_column(
        'accounts',
        sa.Column('fallback_locale', sa.String(length=16), server_default='en', nullable=False),
    )
    op.add_column(
        'accounts',
        sa.Column('invoice_reminder_days', sa.Integer(), server_default='3', nullable=True),
    )
    op.add_column('email_messages', sa.Column('text', sa.Text(), nullable=True))
    op.add_column('email_messages', sa.Column('html', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('email_messages', 'html')
    op.drop_column('email_messages', 'text')
    op.drop_column('accounts', 'invoice_reminder_days')
    op.drop_column('accounts', 'fallback_locale')
