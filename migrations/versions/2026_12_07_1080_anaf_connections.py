"""ANAF e-Factura: each account's OAuth2 grant (sealed tokens) and the count of its calls
per CIF and window, against ANAF's published limits; the invoice that corrects a
rejected one

Revision ID: 2026_12_07_1080
Revises: 2026_12_07_1070
Create Date: 2026-12-07 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recura.db.base import ID, UTCDateTime

revision: str = '2026_12_07_1080'
down_revision: str | None = '2026_12_07_1070'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'anaf_connections',
        sa.Column('account_id', ID, sa.ForeignKey('accounts.id'), primary_key=True),
        sa.Column('id', ID, primary_key=True),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('cif', sa.String(16), nullable=False),
        sa.Column('client_id', sa.String(200), nullable=False),
        sa.Column('client_secret', sa.Text(), nullable=False),
        sa.Column('redirect_uri', sa.String(500), nullable=False),
        sa.Column('pending_state', sa.String(64), nullable=True),
        sa.Column('access_token', sa.Text(), nullable=True),
        sa.Column('refresh_token', sa.Text(), nullable=True),
        sa.Column('access_expires_at', UTCDateTime(), nullable=True),
        sa.Column('refresh_expires_at', UTCDateTime(), nullable=True),
        sa.Column('connected_at', UTCDateTime(), nullable=True),
        sa.Column('refreshed_at', UTCDateTime(), nullable=True),
        sa.Column('refresh_after', UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.String(500), nullable=True),
        sa.Column('expiry_warned_at', UTCDateTime(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.UniqueConstraint('account_id', 'livemode'),
    )
    op.create_table(
        'anaf_calls',
        sa.Column('account_id', ID, sa.ForeignKey('accounts.id'), primary_key=True),
        sa.Column('livemode', sa.Boolean(), primary_key=True),
        sa.Column('cif', sa.String(16), primary_key=True),
        sa.Column('window', sa.String(16), primary_key=True),
        sa.Column('method', sa.String(32), primary_key=True),
        sa.Column('subject', sa.String(32), primary_key=True),
        sa.Column('count', sa.Integer(), nullable=False),
    )


    op.add_column('einvoices', sa.Column('correction_invoice_id', ID, nullable=True))


def downgrade() -> None:
    op.drop_column('einvoices', 'correction_invoice_id')
    op.drop_table('anaf_calls')
    op.drop_table('anaf_connections')
