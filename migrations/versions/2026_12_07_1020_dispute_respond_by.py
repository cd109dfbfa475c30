"""disputes keep the processor's deadline for the merchant's evidence

Stripe says it in `evidence_details.due_by`, PayPal in `seller_response_due_date`; the
console's dispute pages show it. Disputes recorded before have none until their next news.

Revision ID: 2026_12_07_1020
Revises: 2026_12_07_1005
Create Date: 2026-12-07 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recura.db.base import UTCDateTime

revision: str = '2026_12_07_1020'
down_revision: str | None = '2026_12_07_1005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('disputes', sa.Column('respond_by', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('disputes') as batch:
        batch.drop_column('respond_by')
