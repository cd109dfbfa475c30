"""notification upkeep: email listing by status, pruning finished emails and deliveries by age

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_email_messages_account_id_status_id',
        'email_messages',
        ['account_id', 'status', 'id'],
        unique=False,
    )
    op.create_index(
        'ix_email_messages_status_updated_at', 'email_messages', ['status', 'updated_at'], unique=False
    )
    op.create_index(
        'ix_webhook_deliveries_status_updated_at',
        'webhook_deliveries',
        ['status', 'updated_at'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_webhook_deliveries_status_updated_at', table_name='webhook_deliveries')
    op.drop_index('ix_email_messages_status_updated_at', table_name='email_messages')
    op.drop_index('ix_email_messages_account_id_status_id', table_name='email_messages')
