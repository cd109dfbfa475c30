"""e-invoices: when a document was validated (null: not yet, so never uploaded), and the
index the e-invoice maker follows the event log by

Revision ID: 2026_12_07_1070
Revises: 2026_12_07_1060
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recura.db.base import UTCDateTime

revision: str = '2026_12_07_1070'
down_revision: str | None = '2026_12_07_1060'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOCUMENT_EVENTS = "type IN ('invoice.finalized', 'credit_note.created')"


def upgrade() -> None:
    op.add_column('einvoices', sa.Column('validated_at', UTCDateTime(), nullable=True))
    op.create_index(
        'ix_events_documents',
        'events',
        ['id'],
        sqlite_where=sa.text(DOCUMENT_EVENTS),
        postgresql_where=sa.text(DOCUMENT_EVENTS),
    )


def downgrade() -> None:
    op.drop_index('ix_events_documents', table_name='events')
    op.drop_column('einvoices', 'validated_at')
