"""hosted checkout page: checkout sessions found by id alone, as the page's address names them

Revision ID: 2026_12_07_0800
Revises: 2026_12_07_0750
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '2026_12_07_0800'
down_revision: str | None = '2026_12_07_0750'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_checkout_sessions_id', 'checkout_sessions', ['id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_checkout_sessions_id', table_name='checkout_sessions')
