"""invoice lines: the nature of what each sells (electronic, services, goods)

The e-invoice of goods sent to another member state names where they go, whatever VAT
category they were decided in (an EU company whose VAT number VIES has not confirmed yet
pays VAT, and the goods still cross a border); the line keeps its plan's or add-on's
nature as it was when issued. Lines issued before stay null: unknown.

Revision ID: 2026_12_08_0110
Revises: 2026_12_08_0100
Create Date: 2026-12-08 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '2026_12_08_0110'
down_revision: str | None = '2026_12_08_0100'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('invoice_lines', sa.Column('supply_nature', sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column('invoice_lines', 'supply_nature')
