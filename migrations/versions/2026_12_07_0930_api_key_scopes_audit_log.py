"""API keys' scopes, creator and last use; the audit log; events' actors

Revision ID: 2026_12_07_0930
Revises: 2026_12_07_0920
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recura.db.base import JSONType, UTCDateTime

revision: str = '2026_12_07_0930'
down_revision: str | None = '2026_12_07_0920'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Keys made before scopes could do everything: they stay full keys.
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('scope', sa.String(length=16), server_default='full', nullable=False)
        )
        batch_op.add_column(
            sa.Column('permissions', JSONType, server_default='{}', nullable=False)
        )
        batch_op.add_column(
            sa.Column('created_by', sa.String(length=400), server_default='cli', nullable=False)
        )
        batch_op.add_column(sa.Column('last_used_at', UTCDateTime(), nullable=True))
    # Events recorded before actors were kept read as the system's.
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('actor_kind', sa.String(length=16), server_default='system', nullable=False)
        )
        batch_op.add_column(sa.Column('actor_id', sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column(
                'actor_label', sa.String(length=400), server_default='system', nullable=False
            )
        )
    op.create_table(
        'audit_entries',
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('occurred_at', UTCDateTime(), nullable=False),
        sa.Column('actor_kind', sa.String(length=16), nullable=False),
        sa.Column('actor_id', sa.String(length=40), nullable=True),
        sa.Column('actor_label', sa.String(length=400), nullable=False),
        sa.Column('action', sa.String(length=80), nullable=False),
        sa.Column('target_type', sa.String(length=40), nullable=False),
        sa.Column('target_id', sa.String(length=200), nullable=True),
        sa.Column('request_id', sa.String(length=255), nullable=True),
        sa.Column('ip', sa.String(length=45), nullable=True),
        sa.Column('changes', JSONType, nullable=True),
        sa.ForeignKeyConstraint(
            ['account_id'], ['accounts.id'], name='fk_audit_entries_account_id_accounts'
        ),
        sa.PrimaryKeyConstraint('account_id', 'id', name='pk_audit_entries'),
    )
    op.create_index(
        'ix_audit_entries_account_id_target_id', 'audit_entries', ['account_id', 'target_id']
    )
    op.create_index(
        'ix_audit_entries_account_id_actor_id', 'audit_entries', ['account_id', 'actor_id']
    )


def downgrade() -> None:
    op.drop_index('ix_audit_entries_account_id_actor_id', table_name='audit_entries')
    op.drop_index('ix_audit_entries_account_id_target_id', table_name='audit_entries')
    op.drop_table('audit_entries')
    # SQLite drops a column in place (3.35+): rebuilding `events` would drop a table that
    # other tables' rows point at, which its foreign keys refuse.
    with op.batch_alter_table('events', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('actor_label')
        batch_op.drop_column('actor_id')
        batch_op.drop_column('actor_kind')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('created_by')
        batch_op.drop_column('permissions')
        batch_op.drop_column('scope')
