"""invoice_pdfs: the PDF of each finalised invoice and credit note, made once by the worker

Revision ID: 2026_12_07_1060
Revises: 2026_12_07_1050
Create Date: 2026-12-07 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recura.db.base import ID, UTCDateTime

revision: str = '2026_12_07_1060'
down_revision: str | None = '2026_12_07_1050'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'invoice_pdfs',
        sa.Column('account_id', ID, sa.ForeignKey('accounts.id'), primary_key=True),
        sa.Column('id', ID, primary_key=True),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('invoice_id', ID, nullable=True),
        sa.Column('credit_note_id', ID, nullable=True),
        sa.Column('locale', sa.String(16), nullable=True),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.Column('sha256', sa.String(64), nullable=True),
        sa.Column('claimed_at', UTCDateTime(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=False),
        sa.Column('last_error', sa.String(1000), nullable=True),
        sa.Column('made_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['account_id', 'invoice_id'], ['invoices.account_id', 'invoices.id']
        ),
        sa.ForeignKeyConstraint(
            ['account_id', 'credit_note_id'], ['credit_notes.account_id', 'credit_notes.id']
        ),
    )
    op.create_index(
        'ux_invoice_pdfs_invoice',
        'invoice_pdfs',
        ['account_id', 'invoice_id'],
        unique=True,
        sqlite_where=sa.text('invoice_id IS NOT NULL'),
        postgresql_where=sa.text('invoice_id IS NOT NULL'),
    )
    op.create_index(
        'ux_invoice_pdfs_credit_note',
        'invoice_pdfs',
        ['account_id', 'credit_note_id'],
        unique=True,
        sqlite_where=sa.text('credit_note_id IS NOT NULL'),
        postgresql_where=sa.text('credit_note_id IS NOT NULL'),
    )
    op.create_index(
        'ix_invoice_pdfs_pending',
        'invoice_pdfs',
        ['next_attempt_at'],
        sqlite_where=sa.text('content IS NULL'),
        postgresql_where=sa.text('content IS NULL'),
    )


def downgrade() -> None:
    op.drop_table('invoice_pdfs')
