"""accounts: the seller's legal profile (tax and trade-register numbers, share capital, address)

Revision ID: 2026_12_07_1000
Revises: 2026_12_07_0950
Create Date: 2026-12-07 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recura.db.base import JSONType

revision: str = '2026_12_07_1000'
down_revision: str | None = '2026_12_07_0950'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ('vat_id', 'registration_number', 'share_capital', 'share_capital_currency', 'address')


def upgrade() -> None:
    op.add_column('accounts', sa.Column('vat_id', sa.String(32), nullable=True))
    op.add_column('accounts', sa.Column('registration_number', sa.String(64), nullable=True))
    op.add_column('accounts', sa.Column('share_capital', sa.BigInteger(), nullable=True))
    op.add_column('accounts', sa.Column('share_capital_currency', sa.String(3), nullable=True))
    op.add_column('accounts', sa.Column('address', JSONType, nullable=True))


def downgrade() -> None:
    # In place (SQLite 3.35+ drops plain columns): a batch copy of `accounts` would trip
    # the foreign keys every other table holds to it.
    for name in reversed(COLUMNS):
        op.drop_column('accounts', name)
