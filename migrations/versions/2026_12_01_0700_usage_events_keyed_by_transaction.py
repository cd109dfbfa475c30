"""usage events keyed by (account, mode, transaction_id), the duplicate check itself

The unique constraint on those columns and a primary key on (account_id, id) were two
indexes written for every event; one does both jobs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('usage_events', schema=None) as batch_op:
        batch_op.drop_constraint(
            'uq_usage_events_account_id_livemode_transaction_id', type_='unique'
        )
        batch_op.drop_constraint('pk_usage_events', type_='primary')
        batch_op.create_primary_key(
            'pk_usage_events', ['account_id', 'livemode', 'transaction_id']
        )


def downgrade() -> None:
    with op.batch_alter_table('usage_events', schema=None) as batch_op:
        batch_op.drop_constraint('pk_usage_events', type_='primary')
        batch_op.create_primary_key('pk_usage_events', ['account_id', 'id'])
        batch_op.create_unique_constraint(
            'uq_usage_events_account_id_livemode_transaction_id',
            ['account_id', 'livemode', 'transaction_id'],
        )
