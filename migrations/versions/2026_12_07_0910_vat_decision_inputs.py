"""what the VAT decision reads: the seller's VAT registration, OSS and threshold, and when
a customer's VAT number was confirmed; what it decided, on each invoice line

Revision ID: 2026_12_07_0910
Revises: 2026_12_07_0900
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recura.db.base import JSONType, UTCDateTime

revision: str = '2026_12_07_0910'
down_revision: str | None = '2026_12_07_0900'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN: SQLite adds them in place; a batch would copy tables others refer to.
    for name in ('vat_registered', 'oss_registered', 'eu_b2c_over_threshold'):
        op.add_column(
            'accounts', sa.Column(name, sa.Boolean(), server_default='false', nullable=False)
        )
    # An account that charged VAT until now is registered for it.
    op.execute("UPDATE accounts SET vat_registered = (tax_rate > 0)")
    op.add_column('customers', sa.Column('vat_id_validated_at', UTCDateTime(), nullable=True))
    op.add_column('invoice_lines', sa.Column('tax_category', sa.String(length=2), nullable=True))
    op.add_column(
        'invoice_lines', sa.Column('tax_exemption_code', sa.String(length=32), nullable=True)
    )
    op.add_column(
        'invoice_lines', sa.Column('tax_exemption_key', sa.String(length=64), nullable=True)
    )
    op.add_column('invoice_lines', sa.Column('tax_notes', JSONType, nullable=True))


def downgrade() -> None:
    for name in ('tax_notes', 'tax_exemption_key', 'tax_exemption_code', 'tax_category'):
        op.drop_column('invoice_lines', name)
    op.drop_column('customers', 'vat_id_validated_at')
    for name in ('eu_b2c_over_threshold', 'oss_registered', 'vat_registered'):
        op.drop_column('accounts', name)
