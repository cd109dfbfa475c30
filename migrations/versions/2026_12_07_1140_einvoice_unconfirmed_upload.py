"""einvoices: an upload ANAF may have taken without its answer coming back, and the
unknown messages of ANAF's list looked at to find it

Revision ID: 2026_12_07_1140
Revises: 2026_12_07_1130
Create Date: 2026-12-07 16:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recura.db.base import JSONType, UTCDateTime

revision: str = '2026_12_07_1140'
down_revision: str | None = '2026_12_07_1130'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'einvoices', sa.Column('upload_unconfirmed_since', UTCDateTime(), nullable=True)
    )
    op.add_column('einvoices', sa.Column('unconfirmed_messages', JSONType, nullable=True))


def downgrade() -> None:
    op.drop_column('einvoices', 'unconfirmed_messages')
    op.drop_column('einvoices', 'upload_unconfirmed_since')
