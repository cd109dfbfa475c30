"""incomplete subscriptions expire 23 hours after they started: due work for those waiting

Subscriptions left incomplete before the worker expired them have no next action; they get
the instant they expire (their first period's start plus 23 hours), so the worker's next
pass expires those already past it. The status column grows to hold `incomplete_expired`
on PostgreSQL (SQLite keeps strings whole whatever length a column declares).

Revision ID: 2026_12_07_0950
Revises: 2026_12_07_0940
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from recura.db.base import UTCDateTime

revision: str = '2026_12_07_0950'
down_revision: str | None = '2026_12_07_0940'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXPIRES_AFTER = timedelta(hours=23)

subscriptions = sa.table(
    'subscriptions',
    sa.column('account_id', sa.String),
    sa.column('id', sa.String),
    sa.column('status', sa.String),
    sa.column('current_period_start', UTCDateTime()),
    sa.column('next_action_at', UTCDateTime()),
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.alter_column(
            'subscriptions',
            'status',
            type_=sa.String(24),
            existing_type=sa.String(16),
            existing_nullable=False,
        )
    waiting = bind.execute(
        sa.select(
            subscriptions.c.account_id,
            subscriptions.c.id,
            subscriptions.c.current_period_start,
        ).where(
            subscriptions.c.status == 'incomplete',
            subscriptions.c.next_action_at.is_(None),
        )
    ).all()
    for account_id, sub_id, start in waiting:
        bind.execute(
            subscriptions.update()
            .where(subscriptions.c.account_id == account_id, subscriptions.c.id == sub_id)
            .values(next_action_at=start + EXPIRES_AFTER)
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column(
            'subscriptions',
            'status',
            type_=sa.String(16),
            existing_type=sa.String(24),
            existing_nullable=False,
        )
    op.execute(
        subscriptions.update()
        .where(subscriptions.c.status == 'incomplete')
        .values(next_action_at=None)
    )
