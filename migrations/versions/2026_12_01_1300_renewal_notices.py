"""renewal notices: which period's renewal a subscription has announced

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import recura.db.base

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'renewal_notice_for', recura.db.base.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_index(
            'ix_subscriptions_current_period_end', ['current_period_end'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_subscriptions_current_period_end')
        batch_op.drop_column('renewal_notice_for')
