"""processors: payments keyed by the processor's id, events' API version, dispute funds, no
api_base on gateway connections

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import recura.db.base

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Bank transfers are keyed by their statement entry, one transfer may pay several invoices.
PROCESSOR_PAYMENTS = sa.text("gateway <> 'bank_transfer'")
SANDBOX_API_BASE = 'https://api-m.sandbox.paypal.com'

connections = sa.table(
    'gateway_connections',
    sa.column('id', sa.String),
    sa.column('account_id', sa.String),
    sa.column('gateway', sa.String),
    sa.column('livemode', sa.Boolean),
    sa.column('config', recura.db.base.JSONType),
)


def upgrade() -> None:
    with op.batch_alter_table('gateway_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_version', sa.String(length=32), nullable=True))
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('funds_withdrawn_at', recura.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column('funds_reinstated_at', recura.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_account_id_reference')
        batch_op.create_index(
            'uq_payments_processor_reference',
            ['account_id', 'gateway', 'reference'],
            unique=True,
            sqlite_where=PROCESSOR_PAYMENTS,
            postgresql_where=PROCESSOR_PAYMENTS,
        )
    # Where a processor's requests go is the server's setting now, never a connection's: the
    # key goes, every other setting stays as it was.
    _rewrite_configs(lambda row, config: config.pop('api_base', None) is not None)


def downgrade() -> None:
    def restore(row: sa.Row, config: dict) -> bool:
        # The older code read a test-mode PayPal connection without it as PayPal's live API.
        if row.gateway != 'paypal' or row.livemode:
            return False
        config['api_base'] = SANDBOX_API_BASE
        return True

    _rewrite_configs(restore)
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('uq_payments_processor_reference')
        batch_op.create_index(
            'ix_payments_account_id_reference', ['account_id', 'gateway', 'reference'], unique=False
        )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_column('funds_reinstated_at')
        batch_op.drop_column('funds_withdrawn_at')
    with op.batch_alter_table('gateway_events', schema=None) as batch_op:
        batch_op.drop_column('api_version')


def _rewrite_configs(change) -> None:  # type: ignore[no-untyped-def]
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            connections.c.id,
            connections.c.account_id,
            connections.c.gateway,
            connections.c.livemode,
            connections.c.config,
        )
    ).all()
    for row in rows:
        config = dict(row.config or {})
        if change(row, config):
            bind.execute(
                connections.update()
                .where(connections.c.account_id == row.account_id, connections.c.id == row.id)
                .values(config=config)
            )
