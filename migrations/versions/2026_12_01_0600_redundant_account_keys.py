"""drop the account keys of invoices and invoice lines that their composite keys imply

An invoice's (account_id, customer_id) key to customers and a line's (account_id,
invoice_id) key to invoices already prove the account exists; their own account_id key was
a second check per row, a large share of what PostgreSQL spends on a billing run.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 06:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_constraint('fk_invoice_lines_account_id_accounts', type_='foreignkey')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_constraint('fk_invoices_account_id_accounts', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_foreign_key(
            'fk_invoices_account_id_accounts', 'accounts', ['account_id'], ['id']
        )
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.create_foreign_key(
            'fk_invoice_lines_account_id_accounts', 'accounts', ['account_id'], ['id']
        )
