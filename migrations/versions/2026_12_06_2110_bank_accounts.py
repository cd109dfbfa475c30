"""bank accounts: the merchant's accounts statements are imported for; entries keep their
direction, status and counterparty, and reversals point at what they took back

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 21:15:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import recura.db.base
from recura.ids import new_id

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bank_accounts = op.create_table('bank_accounts',
    sa.Column('iban', sa.String(length=34), nullable=True),
    sa.Column('number', sa.String(length=34), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created_at', recura.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_bank_accounts_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'id', name=op.f('pk_bank_accounts'))
    )
    # The invoices' IBAN was the one account statements were accepted for: it stays one,
    # in test and live data alike.
    accounts = sa.table('accounts', sa.column('id', sa.String), sa.column('iban', sa.String))
    now = datetime.now(UTC)
    rows = op.get_bind().execute(sa.select(accounts.c.id, accounts.c.iban).where(accounts.c.iban.is_not(None)))
    registered = [
        {'account_id': account_id, 'id': new_id('bank_account'), 'livemode': livemode, 'iban': iban, 'number': None, 'currency': None, 'created_at': now}
        for account_id, iban in rows
        for livemode in (False, True)
    ]
    if registered:
        op.bulk_insert(bank_accounts, registered)

    # Renamed in place: bank_transactions refer to bank_statements, so SQLite could not drop
    # the table for a batch copy (both backends have had RENAME COLUMN for years).
    op.execute('ALTER TABLE bank_statements RENAME COLUMN iban TO account_number')

    with op.batch_alter_table('bank_transactions', schema=None) as batch_op:
        batch_op.drop_constraint('uq_bank_transactions_account_id_livemode_iban_entry_ref', type_='unique')
        batch_op.alter_column('iban', new_column_name='account_number', existing_type=sa.String(length=34), existing_nullable=False)
        batch_op.alter_column('debtor_name', new_column_name='counterparty_name', existing_type=sa.String(length=200), existing_nullable=True)
        batch_op.alter_column('debtor_iban', new_column_name='counterparty_iban', existing_type=sa.String(length=34), existing_nullable=True)
        batch_op.add_column(sa.Column('credit', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('entry_status', sa.String(length=16), server_default='BOOK', nullable=False))
        batch_op.add_column(sa.Column('reversal_of', sa.String(length=40), nullable=True))
    # Apart from the renames: SQLite's batch copy would drop a constraint on a renamed column.
    with op.batch_alter_table('bank_transactions', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_bank_transactions_account_id_livemode_account_number_entry_ref'), ['account_id', 'livemode', 'account_number', 'entry_ref'])


def downgrade() -> None:
    with op.batch_alter_table('bank_transactions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_bank_transactions_account_id_livemode_account_number_entry_ref'), type_='unique')
        batch_op.drop_column('reversal_of')
        batch_op.drop_column('entry_status')
        batch_op.drop_column('credit')
        batch_op.alter_column('counterparty_iban', new_column_name='debtor_iban', existing_type=sa.String(length=34), existing_nullable=True)
        batch_op.alter_column('counterparty_name', new_column_name='debtor_name', existing_type=sa.String(length=200), existing_nullable=True)
        batch_op.alter_column('account_number', new_column_name='iban', existing_type=sa.String(length=34), existing_nullable=False)
    with op.batch_alter_table('bank_transactions', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_bank_transactions_account_id_livemode_iban_entry_ref'), ['account_id', 'livemode', 'iban', 'entry_ref'])

    op.execute('ALTER TABLE bank_statements RENAME COLUMN account_number TO iban')

    op.drop_table('bank_accounts')
