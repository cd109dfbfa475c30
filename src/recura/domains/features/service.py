"""Features: the entitlements plans and add-ons grant (a switch, a limit, metered usage)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import BillableMetric, Feature
from recura.domains.common import lookup
from recura.domains.common.errors import invalid
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.features import repository
from recura.domains.features.schemas import FeatureCreate, FeatureKind, FeatureOut, FeatureUpdate
from recura.ids import new_id


def get(session: Session, tenant: Tenant, feature_id: str) -> Feature:
    return lookup.require(session, tenant, Feature, feature_id, "feature")


def create(session: Session, tenant: Tenant, data: FeatureCreate, now: datetime) -> Feature:
    if data.kind is FeatureKind.METERED and data.billable_metric is None:
        raise invalid("/billable_metric", "a metered feature needs the billable metric it counts")
    if data.kind is not FeatureKind.METERED and data.billable_metric is not None:
        raise invalid("/billable_metric", f"only metered features have one, not {data.kind}")
    if data.billable_metric is not None:
        lookup.referenced(
            session,
            tenant,
            BillableMetric,
            data.billable_metric,
            "billable metric",
            "/billable_metric",
        )
    lookup.ensure_code_free(session, tenant, Feature, data.code, "feature")
    feature = Feature(
        id=new_id("feature"),
        **tenant.row_keys(),
        code=data.code,
        name=data.name,
        description=data.description,
        kind=data.kind.value,
        billable_metric_id=data.billable_metric,
        archived_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(feature)
    session.flush()
    return feature


def update(
    session: Session, tenant: Tenant, feature_id: str, data: FeatureUpdate, now: datetime
) -> Feature:
    feature = get(session, tenant, feature_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") is not None:
        feature.name = changes["name"]
    if "description" in changes:
        feature.description = changes["description"]
    feature.updated_at = now
    session.flush()
    return feature


def archive(session: Session, tenant: Tenant, feature_id: str, now: datetime) -> Feature:
    return lookup.archive(get(session, tenant, feature_id), "feature", now)


def page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None, code: str | None
) -> Page[Feature]:
    return repository.page(session, tenant, limit, starting_after, code)


def to_out(feature: Feature) -> FeatureOut:
    return FeatureOut(
        id=feature.id,
        code=feature.code,
        name=feature.name,
        description=feature.description,
        kind=FeatureKind(feature.kind),
        billable_metric=feature.billable_metric_id,
        livemode=feature.livemode,
        archived=feature.archived_at is not None,
        created_at=feature.created_at,
    )
