"""subscriptions: an index for the count by status

The dashboard and `GET /v1/metrics/subscribers` count an account's subscriptions per
currency and status; PostgreSQL counts this index instead of scanning every row.

Revision ID: 2026_12_08_0120
Revises: 2026_12_08_0110
Create Date: 2026-12-08 01:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '2026_12_08_0120'
down_revision: str | None = '2026_12_08_0110'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_subscriptions_status',
        'subscriptions',
        ['account_id', 'livemode', 'currency', 'status'],
    )


def downgrade() -> None:
    op.drop_index('ix_subscriptions_status', table_name='subscriptions')
