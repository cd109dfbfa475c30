"""Acquisition spend queries: the upsert by (month, channel, currency), lists and deletes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from recura.db.models import AcquisitionSpend
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant
from recura.ids import new_ids

KEY = ["account_id", "livemode", "month", "channel", "currency"]
CHUNK = 500


class SpendRow(NamedTuple):
    month: date
    channel: str
    currency: str
    amount: int
    note: str | None


def existing_keys(
    session: Session, tenant: Tenant, rows: Sequence[SpendRow]
) -> set[tuple[date, str, str]]:
    """Which of the rows' (month, channel, currency) are stored already."""
    found: set[tuple[date, str, str]] = set()
    keys = sorted({(r.month, r.channel, r.currency) for r in rows})
    for start in range(0, len(keys), CHUNK):
        stmt = tenant.scope(
            select(AcquisitionSpend.month, AcquisitionSpend.channel, AcquisitionSpend.currency),
            AcquisitionSpend,
        ).where(
            tuple_(AcquisitionSpend.month, AcquisitionSpend.channel, AcquisitionSpend.currency).in_(
                keys[start : start + CHUNK]
            )
        )
        found.update((m, c, cur) for m, c, cur in session.execute(stmt))
    return found


def upsert(session: Session, tenant: Tenant, rows: Sequence[SpendRow], now: datetime) -> None:
    """Insert the rows, or replace the amount and note of those stored under the same key;
    in key order, so two writers sharing rows wait for each other, never in a cycle."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    insert: Any = pg_insert if postgresql else sqlite_insert
    ordered = sorted(rows, key=lambda r: (r.month, r.channel, r.currency))
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        values = [
            {
                **tenant.row_keys(),
                "id": spend_id,
                "created_at": now,
                "updated_at": now,
                **row._asdict(),
            }
            for spend_id, row in zip(new_ids("acquisition_spend", len(chunk)), chunk, strict=True)
        ]
        stmt = insert(AcquisitionSpend).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=KEY,
            set_={
                "amount": stmt.excluded.amount,
                "note": stmt.excluded.note,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        session.execute(stmt)


def by_key(
    session: Session, tenant: Tenant, month: date, channel: str, currency: str
) -> AcquisitionSpend | None:
    stmt = tenant.scope(select(AcquisitionSpend), AcquisitionSpend).where(
        AcquisitionSpend.month == month,
        AcquisitionSpend.channel == channel,
        AcquisitionSpend.currency == currency,
    )
    # Read afresh: the upsert went around the session's copy.
    return session.scalar(stmt.execution_options(populate_existing=True))


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    month_from: date | None = None,
    month_to: date | None = None,
    channel: str | None = None,
) -> Page[AcquisitionSpend]:
    return paginate(
        session,
        _filtered(tenant, month_from, month_to, channel),
        AcquisitionSpend,
        limit,
        starting_after,
    )


def every(
    session: Session,
    tenant: Tenant,
    month_from: date | None = None,
    month_to: date | None = None,
    channel: str | None = None,
) -> list[AcquisitionSpend]:
    """In month, channel and currency order (the export's)."""
    stmt = _filtered(tenant, month_from, month_to, channel).order_by(
        AcquisitionSpend.month, AcquisitionSpend.channel, AcquisitionSpend.currency
    )
    return list(session.scalars(stmt))


def _filtered(
    tenant: Tenant, month_from: date | None, month_to: date | None, channel: str | None
) -> Any:
    stmt = tenant.scope(select(AcquisitionSpend), AcquisitionSpend)
    if month_from is not None:
        stmt = stmt.where(AcquisitionSpend.month >= month_from)
    if month_to is not None:
        stmt = stmt.where(AcquisitionSpend.month <= month_to)
    if channel is not None:
        stmt = stmt.where(AcquisitionSpend.channel == channel)
    return stmt


def remove(session: Session, tenant: Tenant, spend_id: str) -> bool:
    stmt = delete(AcquisitionSpend).where(
        AcquisitionSpend.account_id == tenant.account_id,
        AcquisitionSpend.livemode == tenant.livemode,
        AcquisitionSpend.id == spend_id,
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
