"""customers' VAT numbers checked with VIES: each check kept as proof, the state and next check
on the customer, a Romanian person's CNP, and how old a confirmation may be (accounts)

Numbers already on customers get their state: confirmed ones `validated` and due again
30 days after their confirmation, the others `not_checked` and due at once, so the
worker's first pass checks them.

Revision ID: 2026_12_07_1050
Revises: 2026_12_07_1040
Create Date: 2026-12-07 13:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import recura.db.base

revision: str = '2026_12_07_1050'
down_revision: str | None = '2026_12_07_1040'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTANT = recura.db.base.UTCDateTime(timezone=True)
RECHECK = timedelta(days=30)
# VIES's member-state prefixes (Greece is EL; XI is Northern Ireland).
VIES_PREFIXES = (
    'AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI'
).split()

customers = sa.table(
    'customers',
    sa.column('account_id', sa.String),
    sa.column('id', sa.String),
    sa.column('vat_id', sa.String),
    sa.column('vat_id_validated_at', INSTANT),
    sa.column('vat_check', sa.String),
    sa.column('vat_check_due_at', INSTANT),
)


# Plain ALTER TABLE for the customers' and accounts' columns: SQLite adds them in place,
# where copying the tables would trip on every row that references them.
def upgrade() -> None:
    op.add_column('customers', sa.Column('vat_check', sa.String(length=16), nullable=True))
    op.add_column('customers', sa.Column('vat_check_due_at', INSTANT, nullable=True))
    op.add_column('customers', sa.Column('national_id', sa.String(length=13), nullable=True))
    op.create_index('ix_customers_vat_check_due_at', 'customers', ['vat_check_due_at'])
    op.add_column(
        'accounts',
        sa.Column('vat_recheck_days', sa.Integer(), server_default='30', nullable=False),
    )
    op.create_table(
        'vat_checks',
        sa.Column('customer_id', sa.String(length=40), nullable=False),
        sa.Column('vat_id', sa.String(length=32), nullable=False),
        sa.Column('requester_vat_id', sa.String(length=32), nullable=True),
        sa.Column('result', sa.String(length=16), nullable=False),
        sa.Column('error', sa.String(length=40), nullable=True),
        sa.Column('consultation_number', sa.String(length=64), nullable=True),
        sa.Column('name', sa.String(length=500), nullable=True),
        sa.Column('address', sa.String(length=1000), nullable=True),
        sa.Column('checked_at', INSTANT, nullable=False),
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('created_at', INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ['account_id'], ['accounts.id'], name='fk_vat_checks_account_id_accounts'
        ),
        sa.PrimaryKeyConstraint('account_id', 'id', name='pk_vat_checks'),
    )
    op.create_index(
        'ix_vat_checks_account_id_livemode_customer_id',
        'vat_checks',
        ['account_id', 'livemode', 'customer_id', 'created_at'],
    )
    bind = op.get_bind()
    now = datetime.now(UTC)
    rows = bind.execute(
        sa.select(
            customers.c.account_id,
            customers.c.id,
            customers.c.vat_id,
            customers.c.vat_id_validated_at,
        ).where(customers.c.vat_id.is_not(None))
    ).all()
    for account_id, customer_id, vat_id, validated_at in rows:
        if vat_id[:2].upper() not in VIES_PREFIXES:
            continue
        if validated_at is not None:
            values = {'vat_check': 'validated', 'vat_check_due_at': validated_at + RECHECK}
        else:
            values = {'vat_check': 'not_checked', 'vat_check_due_at': now}
        bind.execute(
            customers.update()
            .where(customers.c.account_id == account_id, customers.c.id == customer_id)
            .values(**values)
        )


def downgrade() -> None:
    op.drop_index('ix_vat_checks_account_id_livemode_customer_id', table_name='vat_checks')
    op.drop_table('vat_checks')
    op.drop_column('accounts', 'vat_recheck_days')
    op.drop_index('ix_customers_vat_check_due_at', table_name='customers')
    for name in ('national_id', 'vat_check_due_at', 'vat_check'):
        op.drop_column('customers', name)
