"""accounts: whether Recura makes the PDFs of issued invoices and credit notes

Revision ID: 2026_12_07_1090
Revises: 2026_12_07_1080
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '2026_12_07_1090'
down_revision: str | None = '2026_12_07_1080'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'accounts',
        sa.Column('invoice_pdfs', sa.Boolean(), nullable=False, server_default='true'),
    )


def downgrade() -> None:
    op.drop_column('accounts', 'invoice_pdfs')
