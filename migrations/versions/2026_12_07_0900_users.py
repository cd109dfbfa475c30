"""operators: users of an account (argon2id passwords, optional TOTP) and their console
sessions

Revision ID: 2026_12_07_0900
Revises: 2026_12_07_0810
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recura.db.base import UTCDateTime

revision: str = '2026_12_07_0900'
down_revision: str | None = '2026_12_07_0810'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'users',
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('locale', sa.String(length=16), nullable=True),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('password_changed_at', UTCDateTime(), nullable=False),
        sa.Column('totp_secret', sa.String(length=255), nullable=True),
        sa.Column('totp_enabled_at', UTCDateTime(), nullable=True),
        sa.Column('totp_last_step', sa.Integer(), nullable=True),
        sa.Column('failed_attempts', sa.Integer(), nullable=False),
        sa.Column('locked_until', UTCDateTime(), nullable=True),
        sa.Column('password_reset', sa.String(length=64), nullable=True),
        sa.Column('last_sign_in_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name='fk_users_account_id_accounts'),
        sa.PrimaryKeyConstraint('account_id', 'id', name='pk_users'),
        sa.UniqueConstraint('account_id', 'email', name='uq_users_account_id_email'),
    )
    op.create_index('ix_users_email', 'users', ['email'])
    op.create_table(
        'console_sessions',
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('user_id', sa.String(length=40), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('verified_at', UTCDateTime(), nullable=True),
        sa.Column('last_seen_at', UTCDateTime(), nullable=False),
        sa.Column('ended_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['account_id'], ['accounts.id'], name='fk_console_sessions_account_id_accounts'
        ),
        sa.ForeignKeyConstraint(
            ['account_id', 'user_id'],
            ['users.account_id', 'users.id'],
            name='fk_console_sessions_account_id_users',
        ),
        sa.PrimaryKeyConstraint('account_id', 'id', name='pk_console_sessions'),
    )
    op.create_index(
        'ix_console_sessions_account_id_user_id', 'console_sessions', ['account_id', 'user_id']
    )


def downgrade() -> None:
    op.drop_index('ix_console_sessions_account_id_user_id', table_name='console_sessions')
    op.drop_table('console_sessions')
    op.drop_index('ix_users_email', table_name='users')
    op.drop_table('users')
