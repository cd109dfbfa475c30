"""plans and add-ons: the nature of what they sell for VAT (electronic, services, goods)

Revision ID: 2026_12_07_1190
Revises: 2026_12_07_1170
Create Date: 2026-12-07 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '2026_12_07_1190'
down_revision: str | None = '2026_12_07_1170'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # What was sold before was decided as an electronically supplied service.
    for table in ('plans', 'add_ons'):
        op.add_column(
            table,
            sa.Column(
                'supply_nature', sa.String(length=16), nullable=False, server_default='electronic'
            ),
        )


def downgrade() -> None:
    for table in ('add_ons', 'plans'):
        op.drop_column(table, 'supply_nature')
