"""metrics: daily counts of checkout sessions, cancellation flows and support requests

The checkout, cancel-reason and support metrics read a row per day (and plan, stage,
reason, outcome) that the checkout, cancellations and support services keep in the
transaction that changes a session, a flow or a request (`domains/funnels/counters.py`),
instead of counting the source rows of the range. Filled here from the rows as they
stand, on each account's day of their creation, as `recura metrics rebuild` does. The
creation-time indexes of checkout sessions and cancellation flows, which only those
metrics read, go (support requests keep theirs: the response-time percentiles rank the
range's waits).

Revision ID: 2026_12_07_1210
Revises: 2026_12_07_1190
Create Date: 2026-12-07 20:00:00
"""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = '2026_12_07_1210'
down_revision: str | None = '2026_12_07_1190'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('metric_checkout_daily', 'metric_cancellations_daily', 'metric_support_daily')
# The creation-time indexes no read uses any more, with the columns they carried.
RANGES = {
    'checkout_sessions': ['plan_id', 'stage', 'status'],
    'cancellation_feedback': ['reason', 'outcome', 'canceled'],
}


def _day(table: str, *keys: sa.Column[Any]) -> list[Any]:
    return [
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        *keys,
        sa.ForeignKeyConstraint(
            ['account_id'], ['accounts.id'], name=f'fk_{table}_account_id_accounts'
        ),
        sa.PrimaryKeyConstraint(
            'account_id', 'livemode', 'day', *(k.name for k in keys), name=f'pk_{table}'
        ),
    ]


def _instant(value: Any) -> datetime:
    # SQLite keeps instants as naive UTC text.
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _fill(
    table: str,
    source: str,
    columns: Sequence[str],
    keys: Sequence[str],
    of: Callable[[Any], tuple[tuple[Any, ...], dict[str, int]]],
) -> None:
    """The daily rows `counters.rebuild` makes: each source row counted on its account's
    day of `created_at`, by `of` (the rule of `domains/funnels/counters.py`)."""
    bind = op.get_bind()
    zones = {
        a: ZoneInfo(z) for a, z in bind.execute(sa.text('SELECT id, timezone FROM accounts'))
    }
    names = ', '.join(('account_id', 'livemode', 'created_at', *columns))
    totals: dict[tuple[Any, ...], dict[str, int]] = {}
    for row in bind.execute(sa.text(f'SELECT {names} FROM {source}')):  # noqa: S608
        key, values = of(row)
        day = _instant(row.created_at).astimezone(zones[row.account_id]).date()
        full = (row.account_id, bool(row.livemode), day, *key)
        found = totals.setdefault(full, dict.fromkeys(values, 0))
        for name, n in values.items():
            found[name] += n
    if not totals:
        return
    header = ('account_id', 'livemode', 'day', *keys)
    rows = [{**dict(zip(header, k, strict=True)), **v} for k, v in totals.items()]
    target = sa.table(table, *(sa.column(n) for n in rows[0]))
    op.bulk_insert(target, rows)


def upgrade() -> None:
    op.create_table(
        'metric_checkout_daily',
        *_day(
            'metric_checkout_daily',
            sa.Column('plan_id', sa.String(length=40), nullable=False),
            sa.Column('stage', sa.String(length=16), nullable=False),
            sa.Column('complete', sa.Boolean(), nullable=False),
        ),
        sa.Column('sessions', sa.Integer(), nullable=False),
    )
    op.create_table(
        'metric_cancellations_daily',
        *_day(
            'metric_cancellations_daily',
            sa.Column('reason', sa.String(length=64), nullable=False),
            sa.Column('outcome', sa.String(length=16), nullable=False),
            sa.Column('canceled', sa.Boolean(), nullable=False),
        ),
        sa.Column('flows', sa.Integer(), nullable=False),
    )
    op.create_table(
        'metric_support_daily',
        *_day('metric_support_daily'),
        sa.Column('requests', sa.Integer(), nullable=False),
        sa.Column('answered', sa.Integer(), nullable=False),
        sa.Column('seconds', sa.BigInteger(), nullable=False),
    )
    _fill(
        'metric_checkout_daily',
        'checkout_sessions',
        ('plan_id', 'stage', 'status'),
        ('plan_id', 'stage', 'complete'),
        lambda c: ((c.plan_id, c.stage or '', c.status == 'complete'), {'sessions': 1}),
    )
    _fill(
        'metric_cancellations_daily',
        'cancellation_feedback',
        ('reason', 'outcome', 'canceled'),
        ('reason', 'outcome', 'canceled'),
        lambda f: ((f.reason or '', f.outcome, bool(f.canceled)), {'flows': 1}),
    )
    _fill(
        'metric_support_daily',
        'support_requests',
        ('first_response_seconds',),
        (),
        lambda r: (
            (),
            {
                'requests': 1,
                'answered': int(r.first_response_seconds is not None),
                'seconds': r.first_response_seconds or 0,
            },
        ),
    )


    for table in RANGES:
        op.drop_index(f'ix_{table}_account_id_livemode_created_at', table_name=table)


def downgrade() -> None:
    for table, included in RANGES.items():
        op.create_index(
            f'ix_{table}_account_id_livemode_created_at',
            table,
            ['account_id', 'livemode', 'created_at'],
            postgresql_include=included,
        )
    for table in reversed(TABLES):
        op.drop_table(table)
