"""metrics: the rollups per plan and per product too

Each customer's movements are folded three ways: over all its subscriptions (scope `*`),
over its subscriptions of one plan (scope: the plan's id) and of one product (the
product's id), so a plan or product filter reads rows per day or month as the other
filters do. `scope` joins the key of the fold's states, the day and month movements
and the daily and monthly totals. The tables are made again and filled by folding the
event log again: the fold's cursor goes back to the start, as `recura metrics rebuild`
does.

Revision ID: 2026_12_08_0100
Revises: 2026_12_07_1210
Create Date: 2026-12-08 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recura.db.base import JSONType

revision: str = "2026_12_08_0100"
down_revision: str | None = "2026_12_07_1210"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TYPES = ("new", "expansion", "contraction", "churn", "reactivation")


def _account(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"], ["accounts.id"], name=f"fk_{table}_account_id_accounts"
    )


def _counts() -> list[sa.Column[int]]:
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in TYPES] + [
        sa.Column(f"{name}_customers", sa.Integer(), nullable=False) for name in TYPES
    ]


def _lead(scoped: bool) -> tuple[list[sa.Column[object]], list[str]]:
    """The columns and key columns every table starts with: tenant, then scope."""
    columns: list[sa.Column[object]] = [
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
    ]
    key = ["account_id", "livemode"]
    if scoped:
        columns.append(sa.Column("scope", sa.String(length=40), nullable=False))
        key.append("scope")
    return columns, key


def _dimensions() -> list[sa.Column[str]]:
    return [
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
    ]


TABLES = (
    "metric_customer_states",
    "mrr_movements",
    "mrr_month_movements",
    "metric_rollups_daily",
    "metric_rollups_monthly",
)


def _drop() -> None:
    op.drop_index("ix_mrr_movements_customer", table_name="mrr_movements")
    op.drop_index("ix_mrr_month_movements_customer", table_name="mrr_month_movements")
    for table in TABLES:
        op.drop_table(table)


def _create(scoped: bool) -> None:
    lead, key = _lead(scoped)
    op.create_table(
        "metric_customer_states",
        *lead,
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("opening", sa.BigInteger(), nullable=False),
        sa.Column("mrr", sa.BigInteger(), nullable=False),
        sa.Column("earned", sa.Boolean(), nullable=False),
        sa.Column("churned_on", sa.Date(), nullable=True),
        sa.Column("subscriptions", JSONType, nullable=False),
        _account("metric_customer_states"),
        sa.PrimaryKeyConstraint(*key, "customer_id", "currency", name="pk_metric_customer_states"),
    )
    lead, key = _lead(scoped)
    op.create_table(
        "mrr_movements",
        *lead,
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        *_dimensions(),
        _account("mrr_movements"),
        sa.PrimaryKeyConstraint(*key, "day", "currency", "customer_id", name="pk_mrr_movements"),
    )
    op.create_index(
        "ix_mrr_movements_customer", "mrr_movements", ["account_id", "livemode", "customer_id"]
    )
    lead, key = _lead(scoped)
    op.create_table(
        "mrr_month_movements",
        *lead,
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("cohort", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        *_dimensions(),
        _account("mrr_month_movements"),
        sa.PrimaryKeyConstraint(
            *key, "currency", "month", "customer_id", name="pk_mrr_month_movements"
        ),
    )
    op.create_index(
        "ix_mrr_month_movements_customer",
        "mrr_month_movements",
        ["account_id", "livemode", "customer_id"],
    )
    lead, key = _lead(scoped)
    op.create_table(
        "metric_rollups_daily",
        *lead,
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *_dimensions(),
        *_counts(),
        _account("metric_rollups_daily"),
        sa.PrimaryKeyConstraint(
            *key, "country", "channel", "currency", "day", name="pk_metric_rollups_daily"
        ),
    )
    lead, key = _lead(scoped)
    op.create_table(
        "metric_rollups_monthly",
        *lead,
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("cohort", sa.Date(), nullable=False),
        *_dimensions(),
        *_counts(),
        sa.Column("joined", sa.Integer(), nullable=False),
        _account("metric_rollups_monthly"),
        sa.PrimaryKeyConstraint(
            *key,
            "country",
            "channel",
            "currency",
            "month",
            "cohort",
            name="pk_metric_rollups_monthly",
        ),
    )
    op.execute(sa.text("UPDATE metric_cursors SET last_event_id = NULL WHERE name = 'mrr'"))


def upgrade() -> None:
    _drop()
    _create(scoped=True)


def downgrade() -> None:
    _drop()
    _create(scoped=False)
