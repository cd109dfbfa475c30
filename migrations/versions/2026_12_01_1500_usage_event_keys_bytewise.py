"""usage event keys compared byte by byte on PostgreSQL (COLLATE "C")

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The text columns of usage_events' two indexes, with their lengths.
KEYS = (('account_id', 40), ('transaction_id', 255), ('customer_id', 40), ('code', 64))


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite compares text byte by byte already
    for name, length in KEYS:
        op.alter_column(
            'usage_events',
            name,
            type_=sa.String(length, collation='C'),
            existing_type=sa.String(length),
            existing_nullable=False,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name, length in KEYS:
        op.alter_column(
            'usage_events',
            name,
            type_=sa.String(length),
            existing_type=sa.String(length, collation='C'),
            existing_nullable=False,
        )
