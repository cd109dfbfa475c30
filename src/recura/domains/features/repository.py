from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from recura.db.models import Feature, FeatureGrant
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None, code: str | None
) -> Page[Feature]:
    stmt = tenant.scope(select(Feature), Feature)
    if code is not None:
        stmt = stmt.where(Feature.code == code)
    return paginate(session, stmt, Feature, limit, starting_after)


def delete_grants(
    session: Session, tenant: Tenant, *, plan_id: str | None, add_on_id: str | None
) -> None:
    """Every grant of the plan (or, without one, of the add-on)."""
    owner = FeatureGrant.plan_id == plan_id if plan_id else FeatureGrant.add_on_id == add_on_id
    session.execute(
        delete(FeatureGrant).where(
            FeatureGrant.account_id == tenant.account_id,
            FeatureGrant.livemode == tenant.livemode,
            owner,
        )
    )


def grants_of_owners(
    session: Session, tenant: Tenant, plan_ids: Sequence[str], add_on_ids: Sequence[str]
) -> Sequence[tuple[FeatureGrant, Feature]]:
    """(grant, feature) pairs of the plans (or, without any, of the add-ons), by feature code."""
    owner_filter = (
        FeatureGrant.plan_id.in_(plan_ids) if plan_ids else FeatureGrant.add_on_id.in_(add_on_ids)
    )
    stmt = (
        tenant.scope(select(FeatureGrant, Feature), FeatureGrant)
        .join(
            Feature,
            (Feature.account_id == FeatureGrant.account_id)
            & (Feature.id == FeatureGrant.feature_id),
        )
        .where(owner_filter)
        .order_by(Feature.code)
    )
    return session.execute(stmt).all()


def by_ids(session: Session, tenant: Tenant, feature_ids: Sequence[str]) -> dict[str, Feature]:
    stmt = tenant.scope(select(Feature), Feature).where(Feature.id.in_(feature_ids))
    return {feature.id: feature for feature in session.scalars(stmt)}
