"""customer_notes: operators' support notes about a customer, until now only audit entries

Revision ID: 2026_12_07_1130
Revises: 2026_12_07_1110
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recura.db.base import ID, JSONType, UTCDateTime

revision: str = '2026_12_07_1130'
down_revision: str | None = '2026_12_07_1110'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTE_MAX = 1000


def upgrade() -> None:
    notes = op.create_table(
        'customer_notes',
        sa.Column('account_id', ID, sa.ForeignKey('accounts.id'), primary_key=True),
        sa.Column('id', ID, primary_key=True),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('customer_id', ID, nullable=False),
        sa.Column('author_id', ID, nullable=True),
        sa.Column('author_name', sa.String(400), nullable=False),
        sa.Column('body', sa.String(1000), nullable=False),
        sa.ForeignKeyConstraint(
            ['account_id', 'customer_id'], ['customers.account_id', 'customers.id']
        ),
    )
    op.create_index(
        'ix_customer_notes_account_id_customer_id_id',
        'customer_notes',
        ['account_id', 'customer_id', 'id'],
    )
    _copy_from_audit(notes)


def _copy_from_audit(notes: sa.Table) -> None:
    """The notes written so far, kept only in their audit entries, become rows: each keeps
    its entry's time and id (the prefix changed), so they sort as they were written."""
    entries = sa.table(
        'audit_entries',
        sa.column('account_id', ID),
        sa.column('id', ID),
        sa.column('livemode', sa.Boolean),
        sa.column('created_at', UTCDateTime),
        sa.column('actor_id', ID),
        sa.column('actor_label', sa.String),
        sa.column('action', sa.String),
        sa.column('target_id', sa.String),
        sa.column('changes', JSONType),
    )
    users = sa.table('users', sa.column('account_id', ID), sa.column('id', ID), sa.column('name', sa.String))
    customers = sa.table('customers', sa.column('account_id', ID), sa.column('id', ID))
    query = (
        sa.select(entries, users.c.name)
        .join(
            customers,
            sa.and_(
                customers.c.account_id == entries.c.account_id,
                customers.c.id == entries.c.target_id,
            ),
        )
        .outerjoin(
            users,
            sa.and_(users.c.account_id == entries.c.account_id, users.c.id == entries.c.actor_id),
        )
        .where(entries.c.action == 'customer.support_note')
    )
    rows = []
    for entry in op.get_bind().execute(query).mappings():
        said = (entry['changes'] or {}).get('note') or {}
        body = said.get('after') if isinstance(said, dict) else None
        if not body:
            continue
        rows.append(
            {
                'account_id': entry['account_id'],
                'id': 'note_' + entry['id'].partition('_')[2],
                'livemode': entry['livemode'],
                'created_at': entry['created_at'],
                'customer_id': entry['target_id'],
                'author_id': entry['actor_id'],
                'author_name': (entry['name'] or entry['actor_label'])[:400],
                'body': str(body)[:NOTE_MAX],
            }
        )
    if rows:
        op.bulk_insert(notes, rows)


def downgrade() -> None:
    # The notes' audit entries stay: they are what the notes were before this table.
    op.drop_table('customer_notes')
