"""Create, rename, list and archive billable metrics.

What a metric counts (aggregation, field, filters) never changes after creation: invoices
already billed were computed with it, and recomputing them with other rules would disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from recura.db.models import BillableMetric
from recura.domains.billable_metrics import repository
from recura.domains.billable_metrics.schemas import (
    BillableMetricCreate,
    BillableMetricOut,
    BillableMetricUpdate,
    MetricFilterOut,
)
from recura.domains.common import lookup
from recura.domains.common.errors import (
    ConflictError,
    FieldError,
    InvalidError,
    NotFoundError,
)
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.ids import new_id


def get(session: Session, tenant: Tenant, metric_id: str) -> BillableMetric:
    metric = repository.get(session, tenant, metric_id)
    if metric is None:
        raise NotFoundError("billable metric", metric_id)
    return metric


def create(
    session: Session, tenant: Tenant, data: BillableMetricCreate, now: datetime
) -> BillableMetric:
    _check_rules(data)
    if repository.by_code(session, tenant, data.code) is not None:
        raise ConflictError(f"A billable metric with code '{data.code}' already exists.")
    metric = BillableMetric(
        id=new_id("billable_metric"),
        **tenant.row_keys(),
        code=data.code,
        name=data.name,
        description=data.description,
        aggregation=data.aggregation,
        field_name=data.field_name,
        filters=[f.model_dump() for f in data.filters],
        archived_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(metric)
    session.flush()
    return metric


def update(
    session: Session, tenant: Tenant, metric_id: str, data: BillableMetricUpdate, now: datetime
) -> BillableMetric:
    metric = get(session, tenant, metric_id)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True, include={"name", "description"})
    for field, value in changes.items():
        setattr(metric, field, value)
    metric.updated_at = now
    session.flush()
    return metric


def archive(session: Session, tenant: Tenant, metric_id: str, now: datetime) -> BillableMetric:
    return lookup.archive(get(session, tenant, metric_id), "billable metric", now)


def page(session: Session, tenant: Tenant, **filters: Any) -> Page[BillableMetric]:
    return repository.page(session, tenant, **filters)


def to_out(metric: BillableMetric) -> BillableMetricOut:
    return BillableMetricOut(
        id=metric.id,
        code=metric.code,
        name=metric.name,
        description=metric.description,
        aggregation=metric.aggregation,
        field_name=metric.field_name,
        filters=[MetricFilterOut(**f) for f in metric.filters],
        livemode=metric.livemode,
        archived=metric.archived_at is not None,
        created_at=metric.created_at,
        updated_at=metric.updated_at,
    )


def _check_rules(data: BillableMetricCreate) -> None:
    errors: list[FieldError] = []
    if data.aggregation == "count" and data.field_name is not None:
        errors.append(FieldError("/field_name", "must be empty when aggregation is count"))
    if data.aggregation != "count" and data.field_name is None:
        errors.append(
            FieldError("/field_name", f"is required when aggregation is {data.aggregation}")
        )
    seen: set[str] = set()
    for index, item in enumerate(data.filters):
        if item.property in seen:
            errors.append(
                FieldError(f"/filters/{index}/property", f"'{item.property}' is filtered twice")
            )
        seen.add(item.property)
    if errors:
        raise InvalidError(errors)
