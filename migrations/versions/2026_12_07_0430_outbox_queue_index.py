"""the outbox's queue index holds only undispatched events, in the order the outbox takes
them (by id): an index of every event's dispatch time made each claim sort all of them

Revision ID: 2026_12_07_0430
Revises: 2026_12_07_0400
Create Date: 2026-12-07 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '2026_12_07_0430'
down_revision: str | None = '2026_12_07_0400'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNDISPATCHED = sa.text('dispatched_at IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('events') as batch_op:
        batch_op.drop_index('ix_events_undispatched')
        batch_op.create_index(
            'ix_events_undispatched',
            ['id'],
            unique=False,
            sqlite_where=UNDISPATCHED,
            postgresql_where=UNDISPATCHED,
        )


def downgrade() -> None:
    with op.batch_alter_table('events') as batch_op:
        batch_op.drop_index('ix_events_undispatched')
        batch_op.create_index(
            'ix_events_undispatched', ['dispatched_at', 'created_at'], unique=False
        )
