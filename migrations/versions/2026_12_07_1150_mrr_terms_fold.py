"""the metrics fold also reads subscription renewals

Subscription events now carry the terms their MRR comes from (`mrr_terms`: price,
discounts, the last period's usage), so each account's discount and usage settings can
apply. A renewal changes those facts without changing list-price MRR (a coupon's last
period, a new period's usage): the fold's partial index grows to the renewals.

Revision ID: 2026_12_07_1150
Revises: 2026_12_07_1140
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '2026_12_07_1150'
down_revision: str | None = '2026_12_07_1140'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = sa.text("mrr_delta <> 0 OR type = 'subscription.updated'")
NEW = sa.text("mrr_delta <> 0 OR type IN ('subscription.updated', 'subscription.renewed')")


def upgrade() -> None:
    op.drop_index('ix_events_mrr_changes', table_name='events')
    op.create_index(
        'ix_events_mrr_changes', 'events', ['id'], sqlite_where=NEW, postgresql_where=NEW
    )


def downgrade() -> None:
    op.drop_index('ix_events_mrr_changes', table_name='events')
    op.create_index(
        'ix_events_mrr_changes', 'events', ['id'], sqlite_where=OLD, postgresql_where=OLD
    )
