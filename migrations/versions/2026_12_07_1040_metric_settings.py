"""metric settings on the account; the metrics fold also reads subscription updates

`accounts.metric_settings` holds the revenue-metric choices an account changed (JSON; the
defaults fill in the rest). The fold's partial index grows to the `subscription.updated`
events that change no MRR: a cancellation scheduled for the period end is one, and
counting churn at cancellation needs it.

Revision ID: 2026_12_07_1040
Revises: 2026_12_07_1020
Create Date: 2026-12-07 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recura.db.base import JSONType

revision: str = '2026_12_07_1040'
down_revision: str | None = '2026_12_07_1020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = sa.text('mrr_delta <> 0')
NEW = sa.text("mrr_delta <> 0 OR type = 'subscription.updated'")


def upgrade() -> None:
    op.add_column(
        'accounts', sa.Column('metric_settings', JSONType, server_default='{}', nullable=False)
    )
    op.drop_index('ix_events_mrr_changes', table_name='events')
    op.create_index(
        'ix_events_mrr_changes', 'events', ['id'], sqlite_where=NEW, postgresql_where=NEW
    )


def downgrade() -> None:
    op.drop_index('ix_events_mrr_changes', table_name='events')
    op.create_index(
        'ix_events_mrr_changes', 'events', ['id'], sqlite_where=OLD, postgresql_where=OLD
    )
    op.drop_column('accounts', 'metric_settings')
