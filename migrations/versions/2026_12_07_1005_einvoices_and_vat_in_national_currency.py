"""e-invoices (the UBL document of an invoice or credit note and its e-Factura state); the
VAT in the seller's national currency on invoices and credit notes in another

Revision ID: 2026_12_07_1005
Revises: 2026_12_07_1000
Create Date: 2026-12-07 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recura.db.base import ID, JSONType, UTCDateTime

revision: str = '2026_12_07_1005'
down_revision: str | None = '2026_12_07_1000'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOCUMENTS = ('invoices', 'credit_notes')
COLUMNS = ('tax_currency', 'tax_exchange_rate', 'tax_total_in_tax_currency')


def upgrade() -> None:
    for table in DOCUMENTS:
        op.add_column(table, sa.Column('tax_currency', sa.String(3), nullable=True))
        op.add_column(table, sa.Column('tax_exchange_rate', sa.Numeric(20, 10), nullable=True))
        op.add_column(table, sa.Column('tax_total_in_tax_currency', sa.BigInteger(), nullable=True))
    op.create_table(
        'einvoices',
        sa.Column('account_id', ID, sa.ForeignKey('accounts.id'), primary_key=True),
        sa.Column('id', ID, primary_key=True),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('invoice_id', ID, nullable=True),
        sa.Column('credit_note_id', ID, nullable=True),
        sa.Column('type_code', sa.String(3), nullable=False),
        sa.Column('xml', sa.LargeBinary(), nullable=True),
        sa.Column('sha256', sa.String(64), nullable=True),
        sa.Column('findings', JSONType, nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=True),
        sa.Column('upload_index', sa.String(32), nullable=True),
        sa.Column('download_id', sa.String(32), nullable=True),
        sa.Column('anaf_messages', JSONType, nullable=False),
        sa.Column('answer', sa.LargeBinary(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=True),
        sa.Column('uploaded_at', UTCDateTime(), nullable=True),
        sa.Column('decided_at', UTCDateTime(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['account_id', 'invoice_id'], ['invoices.account_id', 'invoices.id']
        ),
        sa.ForeignKeyConstraint(
            ['account_id', 'credit_note_id'], ['credit_notes.account_id', 'credit_notes.id']
        ),
    )
    op.create_index(
        'ux_einvoices_invoice',
        'einvoices',
        ['account_id', 'invoice_id'],
        unique=True,
        sqlite_where=sa.text('invoice_id IS NOT NULL'),
        postgresql_where=sa.text('invoice_id IS NOT NULL'),
    )
    op.create_index(
        'ux_einvoices_credit_note',
        'einvoices',
        ['account_id', 'credit_note_id'],
        unique=True,
        sqlite_where=sa.text('credit_note_id IS NOT NULL'),
        postgresql_where=sa.text('credit_note_id IS NOT NULL'),
    )
    op.create_index('ix_einvoices_state_next_attempt_at', 'einvoices', ['state', 'next_attempt_at'])


def downgrade() -> None:
    op.drop_table('einvoices')
    for table in DOCUMENTS:
        for name in reversed(COLUMNS):
            op.drop_column(table, name)
