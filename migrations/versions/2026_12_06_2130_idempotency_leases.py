"""idempotency keys: a lease held by the running request, so a dead one's key is released

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import recura.db.base

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Keys claimed before leases existed have none: a retry may take them over at once.
    with op.batch_alter_table('idempotency_keys') as batch:
        batch.add_column(sa.Column('holder', sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column('lease_expires_at', recura.db.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('idempotency_keys') as batch:
        batch.drop_column('lease_expires_at')
        batch.drop_column('holder')
