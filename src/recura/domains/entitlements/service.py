"""A customer's entitlements: what its live subscriptions grant, added up, with usage so far.

Every subscription that is trialing, active or past due grants the features of its plan and
of each of its add-ons. When several grants name one feature they combine:

- boolean: granted when any grant is true;
- limit: the grants added up, and one unlimited (null) grant makes it unlimited;
- metered: the cap added up the same way, with `used`, the feature's billable metric over
  the current billing period, and `remaining`, the cap less what was used (never below 0,
  null when unlimited). When two subscriptions on different periods grant one metered
  feature, usage counts from the earliest start to the latest end of their periods.

An add-on taken in a quantity grants its limits and caps that many times (three packs of
1,000 API calls are 3,000); the plan's grants are per subscription, whatever its quantity.

`record_update` writes `entitlements.updated` when what is granted changes; usage figures and
period boundaries move all the time and are not part of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from recura.db.models import Event
from recura.domains.common.errors import NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.entitlements import repository
from recura.domains.entitlements.repository import GrantRow, MetricRef
from recura.domains.entitlements.schemas import (
    BooleanEntitlementOut,
    Entitlement,
    EntitlementsOut,
    LimitEntitlementOut,
    MeteredEntitlementOut,
)
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.usage.aggregation import aggregate_windows

EVENT_TYPE = payloads.EventType.ENTITLEMENTS_UPDATED
# What an event carries of each feature, and all that is compared to tell a change.
_GRANT_KEYS = ("feature", "code", "kind", "value", "billable_metric", "limit")
_PENDING = "recura.entitlements.pending"


@dataclass(slots=True)
class _Combined:
    """One feature's grants, combined."""

    feature_id: str
    code: str
    kind: str
    metric: MetricRef | None
    value: bool = False
    limit: int | None = 0
    period_start: datetime | None = None
    period_end: datetime | None = None
    unlimited: bool = False

    def add(self, row: GrantRow) -> None:
        if self.kind == "boolean":
            self.value = self.value or bool(row.value)
            return
        if row.value is None:
            self.unlimited = True
        elif not self.unlimited:
            amount = int(row.value)
            if row.quantity is not None:
                amount = int(amount * row.quantity)  # whole units: 1.5 packs of 10 grant 15
            self.limit = (self.limit or 0) + amount
        if self.unlimited:
            self.limit = None
        if self.period_start is None or row.period_start < self.period_start:
            self.period_start = row.period_start
        if self.period_end is None or row.period_end > self.period_end:
            self.period_end = row.period_end

    def window(self) -> tuple[MetricRef, datetime, datetime] | None:
        """The metric and the period a metered feature's usage is counted over."""
        if self.kind != "metered" or self.metric is None:
            return None
        if self.period_start is None or self.period_end is None:
            return None
        return self.metric, self.period_start, self.period_end


def _combine(rows: Sequence[GrantRow]) -> list[_Combined]:
    combined: dict[str, _Combined] = {}
    for row in rows:
        item = combined.get(row.feature_id)
        if item is None:
            item = combined[row.feature_id] = _Combined(
                row.feature_id, row.code, row.kind, row.metric
            )
        item.add(row)
    return sorted(combined.values(), key=lambda item: item.code)


def _granted(session: Session, tenant: Tenant, customer_id: str) -> list[_Combined]:
    rows = repository.grants(session, tenant, customer_id)
    if rows is None:
        raise NotFoundError("customer", customer_id)
    return _combine(rows)


def for_customer(
    session: Session, tenant: Tenant, customer_id: str, now: datetime
) -> EntitlementsOut:
    """What the customer may use now. One query for the grants, then, when it has metered
    features, one for the usage of every (billable metric, period) they count over.
    Entitlements follow the stored subscriptions, which the worker keeps current, so `now`
    changes nothing here."""
    combined = _granted(session, tenant, customer_id)
    usage = _usage(session, tenant, customer_id, combined)
    features: list[Entitlement] = []
    for item in combined:
        if item.kind == "boolean":
            features.append(
                BooleanEntitlementOut(
                    feature=item.feature_id, code=item.code, kind="boolean", value=item.value
                )
            )
        elif item.kind == "limit":
            features.append(
                LimitEntitlementOut(
                    feature=item.feature_id, code=item.code, kind="limit", limit=item.limit
                )
            )
        else:
            window = item.window()
            if window is None:  # a metered feature always names its metric
                continue
            metric, start, end = window
            used = usage[metric.id, start, end]
            remaining = None
            if item.limit is not None:
                # Corrections may take a sum below zero; that frees nothing beyond the cap.
                remaining = max(Decimal(item.limit) - max(used, Decimal(0)), Decimal(0))
            features.append(
                MeteredEntitlementOut(
                    feature=item.feature_id,
                    code=item.code,
                    kind="metered",
                    billable_metric=metric.id,
                    limit=item.limit,
                    used=used,
                    remaining=remaining,
                    period_start=start,
                    period_end=end,
                )
            )
    return EntitlementsOut(customer=customer_id, features=features)


def _usage(
    session: Session, tenant: Tenant, customer_id: str, combined: list[_Combined]
) -> dict[tuple[str, datetime, datetime], Decimal]:
    """Each metered feature's metric over its period: every (metric, period) once, all in
    one query."""
    windows: dict[tuple[str, datetime, datetime], tuple[MetricRef, datetime, datetime]] = {}
    for item in combined:
        window = item.window()
        if window is not None:
            metric, start, end = window
            windows.setdefault((metric.id, start, end), window)
    found = aggregate_windows(session, tenant, customer_id, list(windows.values()))
    return dict(zip(windows, found, strict=True))


def _event_payload(customer_id: str, combined: list[_Combined]) -> payloads.EntitlementsUpdated:
    features: list[dict[str, Any]] = []
    for item in combined:
        entry: dict[str, Any] = {"feature": item.feature_id, "code": item.code, "kind": item.kind}
        if item.kind == "boolean":
            entry["value"] = item.value
        else:
            if item.kind == "metered":
                entry["billable_metric"] = item.metric.id if item.metric else None
            entry["limit"] = item.limit
        features.append(entry)
    return payloads.EntitlementsUpdated.model_validate(
        {"id": customer_id, "object": "entitlements", "customer": customer_id, "features": features}
    )


def _grants_of(data: dict[str, Any] | None) -> list[dict[str, Any]]:
    """What `data` grants, as compared: usage figures, if an event has any, left out."""
    if data is None:
        return []
    return [
        {key: entry[key] for key in _GRANT_KEYS if key in entry}
        for entry in data.get("features", [])
    ]


def _pending(session: Session) -> dict[tuple[str, bool, str], tuple[list[Any], Event | None]]:
    """Per customer, what it was granted before this transaction and the event the
    transaction wrote so far; forgotten when the transaction ends."""
    pending: dict[tuple[str, bool, str], tuple[list[Any], Event | None]] | None
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = {}
        forget = pending.clear
        sa_event.listen(session, "after_commit", lambda _session: forget())
        sa_event.listen(session, "after_soft_rollback", lambda _session, _previous: forget())
    return pending


def record_update(session: Session, tenant: Tenant, customer_id: str, now: datetime) -> None:
    """Record `entitlements.updated` with the customer's entitlements if they differ from
    the last ones recorded (none recorded: nothing granted).

    Called after every subscription change. A transaction that changes a customer several
    times (a test clock run through months, a plan switch) writes at most one event, with
    the final entitlements, and none if they end where they started: one event id per
    transaction also keeps "the last recorded" unambiguous.
    """
    found = _event_payload(customer_id, _granted(session, tenant, customer_id))
    data = found.json_data()
    current = _grants_of(data)
    pending = _pending(session)
    key = (tenant.account_id, tenant.livemode, customer_id)
    if key in pending:
        before, written = pending[key]
    else:
        before, written = (
            _grants_of(repository.last_recorded_data(session, tenant, customer_id, EVENT_TYPE)),
            None,
        )
    if written is not None:
        if current == before:
            # Back where the transaction started: the event it wrote is no change at all.
            if inspect(written).pending:
                session.expunge(written)
            else:
                session.delete(written)
            written = None
        else:
            written.data = data
            written.occurred_at = written.created_at = now
    elif current != before:
        written = events.record(session, tenant, found, now)
    pending[key] = (before, written)
