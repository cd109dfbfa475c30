"""plans and add-ons: the VAT rate kind of what they sell (standard, reduced, reduced_lower)

Revision ID: 2026_12_07_1100
Revises: 2026_12_07_1090
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '2026_12_07_1100'
down_revision: str | None = '2026_12_07_1090'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ('plans', 'add_ons'):
        op.add_column(
            table,
            sa.Column(
                'tax_rate_kind', sa.String(length=16), nullable=False, server_default='standard'
            ),
        )


def downgrade() -> None:
    for table in ('add_ons', 'plans'):
        op.drop_column(table, 'tax_rate_kind')
