"""metrics: the rollups per customers' country and acquisition channel

The daily and monthly totals are summed per country and acquisition channel too (and
per each alone), so a filtered metric reads rows per day or month, not the chosen
customers' history; the customers' day and month movements carry the two, and the
acquisitions per channel are read from the monthly totals (their table goes). The
tables are made again and filled by folding the event log again: the rollups are
cleared and the fold's cursor goes back to the start, as `recura metrics rebuild` does.

Revision ID: 2026_12_07_1170
Revises: 2026_12_07_1160
Create Date: 2026-12-07 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '2026_12_07_1170'
down_revision: str | None = '2026_12_07_1160'
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


def _tenant() -> list[sa.Column[object]]:
    return [
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
    ]


def _dimensions() -> list[sa.Column[str]]:
    return [
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
    ]


def _drop() -> None:
    op.drop_index("ix_mrr_movements_customer", table_name="mrr_movements")
    op.drop_index("ix_mrr_month_movements_customer", table_name="mrr_month_movements")
    for table in ("mrr_movements", "metric_rollups_daily", "mrr_month_movements"):
        op.drop_table(table)
    op.drop_table("metric_rollups_monthly")


def _refold() -> None:
    op.execute(sa.text("DELETE FROM metric_customer_states"))
    op.execute(sa.text("UPDATE metric_cursors SET last_event_id = NULL"))


def _movements(dimensions: bool) -> None:
    extra = _dimensions() if dimensions else []
    op.create_table(
        "mrr_movements",
        *_tenant(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        *extra,
        _account("mrr_movements"),
        sa.PrimaryKeyConstraint(
            "account_id", "livemode", "day", "currency", "customer_id", name="pk_mrr_movements"
        ),
    )
    op.create_index(
        "ix_mrr_movements_customer", "mrr_movements", ["account_id", "livemode", "customer_id"]
    )
    month_dimensions = (
        _dimensions() if dimensions else [sa.Column("channel", sa.String(40), nullable=True)]
    )
    op.create_table(
        "mrr_month_movements",
        *_tenant(),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("cohort", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        *month_dimensions,
        _account("mrr_month_movements"),
        sa.PrimaryKeyConstraint(
            "account_id",
            "livemode",
            "currency",
            "month",
            "customer_id",
            name="pk_mrr_month_movements",
        ),
    )
    op.create_index(
        "ix_mrr_month_movements_customer",
        "mrr_month_movements",
        ["account_id", "livemode", "customer_id"],
    )


def upgrade() -> None:
    _drop()
    op.drop_table("metric_acquisitions_monthly")
    _movements(dimensions=True)
    op.create_table(
        "metric_rollups_daily",
        *_tenant(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *_dimensions(),
        *_counts(),
        _account("metric_rollups_daily"),
        sa.PrimaryKeyConstraint(
            "account_id",
            "livemode",
            "country",
            "channel",
            "currency",
            "day",
            name="pk_metric_rollups_daily",
        ),
    )
    op.create_table(
        "metric_rollups_monthly",
        *_tenant(),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("cohort", sa.Date(), nullable=False),
        *_dimensions(),
        *_counts(),
        sa.Column("joined", sa.Integer(), nullable=False),
        _account("metric_rollups_monthly"),
        sa.PrimaryKeyConstraint(
            "account_id",
            "livemode",
            "country",
            "channel",
            "currency",
            "month",
            "cohort",
            name="pk_metric_rollups_monthly",
        ),
    )
    _refold()


def downgrade() -> None:
    _drop()
    _movements(dimensions=False)
    op.create_table(
        "metric_rollups_daily",
        *_tenant(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *_counts(),
        _account("metric_rollups_daily"),
        sa.PrimaryKeyConstraint(
            "account_id", "livemode", "day", "currency", name="pk_metric_rollups_daily"
        ),
    )
    op.create_table(
        "metric_rollups_monthly",
        *_tenant(),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("cohort", sa.Date(), nullable=False),
        *_counts(),
        sa.Column("joined", sa.Integer(), nullable=False),
        _account("metric_rollups_monthly"),
        sa.PrimaryKeyConstraint(
            "account_id",
            "livemode",
            "currency",
            "month",
            "cohort",
            name="pk_metric_rollups_monthly",
        ),
    )
    op.create_table(
        "metric_acquisitions_monthly",
        *_tenant(),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        _account("metric_acquisitions_monthly"),
        sa.PrimaryKeyConstraint(
            "account_id",
            "livemode",
            "currency",
            "month",
            "channel",
            name="pk_metric_acquisitions_monthly",
        ),
    )
    _refold()
