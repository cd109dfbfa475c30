"""webhook endpoints may take their events in batches: up to `batch_size` events in one
request (1, one event per request, as before)

Revision ID: 2026_12_07_0400
Revises: 2026_12_07_0100
Create Date: 2026-12-07 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '2026_12_07_0400'
down_revision: str | None = '2026_12_07_0100'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'webhook_endpoints',
        sa.Column('batch_size', sa.Integer(), nullable=False, server_default='1'),
    )


def downgrade() -> None:
    op.drop_column('webhook_endpoints', 'batch_size')
