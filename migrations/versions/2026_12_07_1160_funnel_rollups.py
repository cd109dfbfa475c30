"""metrics: daily funnel rollups (trials, dunning, churn kinds) and range indexes

The trial, dunning and churn-kind metrics read daily rows per plan that the worker folds
from the subscription events (`domains/funnels/rollups.py`), through a partial index of
those events; its cursor starts at the beginning of the log, so the worker folds the
whole history once. Checkout sessions, cancellation flows and support requests get an
index by creation time, so their metrics read only the range asked for, counted by the
database; a support request keeps its wait for the first answer in whole seconds
(filled in here for those answered already).

Revision ID: 2026_12_07_1160
Revises: 2026_12_07_1150
Create Date: 2026-12-07 19:00:00
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '2026_12_07_1160'
down_revision: str | None = '2026_12_07_1150'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNNELS = sa.text(
    "type IN ('subscription.updated', 'subscription.past_due', 'subscription.canceled')"
)
RANGES = {
    'checkout_sessions': ['plan_id', 'stage', 'status'],
    'cancellation_feedback': ['reason', 'outcome', 'canceled'],
    'support_requests': ['first_response_seconds'],
}


def _tenant(table: str) -> list[Any]:
    return [
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ['account_id'], ['accounts.id'], name=f'fk_{table}_account_id_accounts'
        ),
    ]


def _day(table: str, *keys: str) -> list[Any]:
    return [
        *_tenant(table),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('plan_id', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint(
            'account_id', 'livemode', 'day', 'plan_id', *keys, name=f'pk_{table}'
        ),
    ]


def _backfill_waits() -> None:
    """Each answered request's wait in whole seconds (`core.funnels.wait_seconds`)."""
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute(
            sa.text(
                'UPDATE support_requests SET first_response_seconds = GREATEST(0, '
                'trunc(extract(epoch FROM first_response_at - created_at)))::integer '
                'WHERE first_response_at IS NOT NULL'
            )
        )
        return
    # SQLite keeps instants as text: the difference is taken exactly here.
    rows = bind.execute(
        sa.text(
            'SELECT account_id, id, created_at, first_response_at FROM support_requests '
            'WHERE first_response_at IS NOT NULL'
        )
    ).all()
    for account, ident, created, first in rows:
        wait = datetime.fromisoformat(str(first)) - datetime.fromisoformat(str(created))
        bind.execute(
            sa.text(
                'UPDATE support_requests SET first_response_seconds = :seconds '
                'WHERE account_id = :account AND id = :id'
            ),
            {'seconds': max(0, int(wait.total_seconds())), 'account': account, 'id': ident},
        )


def upgrade() -> None:
    op.add_column(
        'support_requests', sa.Column('first_response_seconds', sa.Integer(), nullable=True)
    )
    _backfill_waits()
    op.create_table(
        'metric_trials_daily',
        *_day('metric_trials_daily'),
        sa.Column('ended', sa.Integer(), nullable=False),
        sa.Column('converted', sa.Integer(), nullable=False),
    )
    op.create_table(
        'metric_dunning_daily',
        *_day('metric_dunning_daily', 'gap'),
        sa.Column('gap', sa.SmallInteger(), nullable=False),
        sa.Column('entered', sa.Integer(), nullable=False),
        sa.Column('recovered', sa.Integer(), nullable=False),
    )
    op.create_table(
        'metric_churn_kinds_daily',
        *_day('metric_churn_kinds_daily', 'currency', 'kind'),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('subscriptions', sa.Integer(), nullable=False),
        sa.Column('mrr', sa.BigInteger(), nullable=False),
    )
    op.create_table(
        'metric_subscription_states',
        *_tenant('metric_subscription_states'),
        sa.Column('subscription_id', sa.String(length=40), nullable=False),
        sa.Column('trial_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('trial_day', sa.Date(), nullable=True),
        sa.Column('trial_plan', sa.String(length=40), nullable=True),
        sa.Column('trial_active', sa.Boolean(), nullable=False),
        sa.Column('trial_failed', sa.Boolean(), nullable=False),
        sa.Column('trial_recovered', sa.Boolean(), nullable=False),
        sa.Column('entered_on', sa.Date(), nullable=True),
        sa.Column('recovered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            'unrecovered',
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            'account_id', 'livemode', 'subscription_id', name='pk_metric_subscription_states'
        ),
    )
    op.create_index(
        'ix_events_funnel_changes',
        'events',
        ['id'],
        sqlite_where=FUNNELS,
        postgresql_where=FUNNELS,
    )
    for table, included in RANGES.items():
        op.create_index(
            f'ix_{table}_account_id_livemode_created_at',
            table,
            ['account_id', 'livemode', 'created_at'],
            postgresql_include=included,
        )


def downgrade() -> None:
    for table in RANGES:
        op.drop_index(f'ix_{table}_account_id_livemode_created_at', table_name=table)
    op.drop_index('ix_events_funnel_changes', table_name='events')
    for table in (
        'metric_subscription_states',
        'metric_churn_kinds_daily',
        'metric_dunning_daily',
        'metric_trials_daily',
    ):
        op.drop_table(table)
    op.execute(sa.text("DELETE FROM metric_cursors WHERE name = 'funnels'"))
    op.drop_column('support_requests', 'first_response_seconds')
