"""email templates set aside: an override that went over the rendering budget when an email
was sent is marked, with the reason, and Recura's version is sent until it is saved again

Revision ID: 2026_12_07_0100
Revises: 0015
Create Date: 2026-12-07 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import recura.db.base

revision: str = '2026_12_07_0100'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'email_templates',
        sa.Column('disabled_at', recura.db.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        'email_templates', sa.Column('disabled_reason', sa.String(length=1000), nullable=True)
    )


def downgrade() -> None:
    op.drop_column('email_templates', 'disabled_reason')
    op.drop_column('email_templates', 'disabled_at')
