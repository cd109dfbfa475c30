"""invoice lines name the plan a setup fee was charged for

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('invoice_lines') as batch:
        batch.add_column(sa.Column('plan_id', sa.String(length=40), nullable=True))
    # Setup fees were charged only when a subscription was created: for its plan then, which
    # is its plan now unless it has changed plans since.
    op.execute(
        "UPDATE invoice_lines SET plan_id = ("
        " SELECT s.plan_id FROM invoices i JOIN subscriptions s"
        " ON s.account_id = i.account_id AND s.id = i.subscription_id"
        " WHERE i.account_id = invoice_lines.account_id AND i.id = invoice_lines.invoice_id"
        ") WHERE kind = 'setup_fee'"
    )


def downgrade() -> None:
    with op.batch_alter_table('invoice_lines') as batch:
        batch.drop_column('plan_id')
