"""Recording activity: the merchant's product pings (`ping`) and the usage events ingested
(`from_usage`, called by usage ingestion in its transaction).

A row per (customer, UTC day, feature) holds a count: a ping or an event adds to the
count of its row, or makes the row the first time. So being active on a day is
idempotent (a thousand pings are one active day), a million pings a day stay a row per
active customer and feature, and reads over a window touch only that window's rows.

Usage events count where they are ingested rather than in a later fold by the worker:
their table has no ingestion-order index a fold could follow (events may carry earlier
timestamps), and grouping a batch's stored events to (customer, day, code) first makes
the extra work one statement of a few rows per batch. Duplicates dropped by ingestion
are not counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from recura.domains.common.errors import NotFoundError, invalid
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers
from recura.domains.customers import service as customers_service
from recura.domains.engagement import repository
from recura.domains.engagement.repository import ActivityRow
from recura.domains.engagement.schemas import ActivityCreate, ActivityOut

# Clocks drift; a product a little ahead of us is not pinging from the future.
FUTURE_SLACK = timedelta(minutes=5)
MAX_AGE = timedelta(days=7)
NO_FEATURE = ""


def ping(
    session: Session, tenant: Tenant, customer_id: str, data: ActivityCreate, now: datetime
) -> ActivityOut:
    """Count one use by the customer, at `data.at` (default: the customer's present)."""
    customer = customers.get(session, tenant, customer_id)
    if customer is None:
        raise NotFoundError("customer", customer_id)
    present = customers_service.now_for(session, tenant, customer, now)
    at = data.at or present
    if at > present + FUTURE_SLACK:
        raise invalid("/at", "is in the future")
    if at < present - MAX_AGE:
        raise invalid("/at", "is more than 7 days old")
    at = at.astimezone(UTC)
    feature = data.feature or NO_FEATURE
    repository.record(session, tenant, [ActivityRow(customer_id, at.date(), feature, 1, at)], now)
    row = repository.one(session, tenant, customer_id, at.date(), feature)
    assert row is not None
    return ActivityOut(
        customer=customer_id,
        day=row.day,
        feature=row.feature or None,
        count=row.count,
        last_at=row.last_at,
    )


def from_usage(
    session: Session,
    tenant: Tenant,
    events: Iterable[tuple[str, str, datetime]],
    now: datetime,
) -> None:
    """Count usage events, given as (customer, code, timestamp), as activity under the
    code: one row per customer, UTC day and code, however many events."""
    counts: dict[tuple[str, date, str], int] = {}
    latest: dict[tuple[str, date, str], datetime] = {}
    for customer_id, code, at in events:
        at = at.astimezone(UTC)
        key = (customer_id, at.date(), code)
        counts[key] = counts.get(key, 0) + 1
        if key not in latest or at > latest[key]:
            latest[key] = at
    rows = [
        ActivityRow(c, day, code, n, latest[(c, day, code)]) for (c, day, code), n in counts.items()
    ]
    if rows:
        repository.record(session, tenant, rows, now)
