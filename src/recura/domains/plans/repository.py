from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recura.db.models import BillableMetric, MeteredCharge, Plan, PlanVersion
from recura.domains.common import lookup
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def get_plan(session: Session, tenant: Tenant, plan_id: str) -> Plan | None:
    return session.scalar(tenant.scope(select(Plan), Plan).where(Plan.id == plan_id))


def page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None, **filters: object
) -> Page[Plan]:
    stmt = tenant.scope(select(Plan), Plan)
    if filters.get("code") is not None:
        stmt = stmt.where(Plan.code == filters["code"])
    if filters.get("product") is not None:
        stmt = stmt.where(Plan.product_id == filters["product"])
    if filters.get("archived") is not None:
        archived = Plan.archived_at.is_not(None)
        stmt = stmt.where(archived if filters["archived"] else ~archived)
    return paginate(session, stmt, Plan, limit, starting_after)


def versions(session: Session, tenant: Tenant, plan_id: str) -> list[PlanVersion]:
    stmt = (
        tenant.scope(select(PlanVersion), PlanVersion)
        .where(PlanVersion.plan_id == plan_id)
        .order_by(PlanVersion.version.desc())
    )
    return list(session.scalars(stmt))


def version(session: Session, tenant: Tenant, plan_id: str, number: int) -> PlanVersion | None:
    stmt = tenant.scope(select(PlanVersion), PlanVersion).where(
        PlanVersion.plan_id == plan_id, PlanVersion.version == number
    )
    return session.scalar(stmt)


def current_versions(
    session: Session, tenant: Tenant, plan_ids: Sequence[str]
) -> dict[str, PlanVersion]:
    """The newest version of each plan, for a page of plans in one query."""
    newest = (
        tenant.scope(select(PlanVersion.plan_id, func.max(PlanVersion.version)), PlanVersion)
        .where(PlanVersion.plan_id.in_(plan_ids))
        .group_by(PlanVersion.plan_id)
        .subquery()
    )
    stmt = tenant.scope(select(PlanVersion), PlanVersion).join(
        newest,
        (PlanVersion.plan_id == newest.c.plan_id) & (PlanVersion.version == newest.c[1]),
    )
    return {v.plan_id: v for v in session.scalars(stmt)}


def charges(
    session: Session, tenant: Tenant, version_ids: Sequence[str]
) -> dict[str, list[tuple[MeteredCharge, BillableMetric]]]:
    stmt = (
        tenant.scope(select(MeteredCharge, BillableMetric), MeteredCharge)
        .join(
            BillableMetric,
            (BillableMetric.account_id == MeteredCharge.account_id)
            & (BillableMetric.id == MeteredCharge.billable_metric_id),
        )
        .where(MeteredCharge.plan_version_id.in_(version_ids))
        .order_by(MeteredCharge.position)
    )
    result: dict[str, list[tuple[MeteredCharge, BillableMetric]]] = defaultdict(list)
    for charge, metric in session.execute(stmt):
        result[charge.plan_version_id].append((charge, metric))
    return result


def version_numbers(
    session: Session, tenant: Tenant, version_ids: Collection[str]
) -> dict[str, int]:
    """Each plan version's number, by version id."""
    stmt = select(PlanVersion.id, PlanVersion.version).where(
        PlanVersion.account_id == tenant.account_id, PlanVersion.id.in_(version_ids)
    )
    return {row.id: row.version for row in session.execute(stmt)}


def every_plan(session: Session, tenant: Tenant) -> Sequence[Plan]:
    return session.scalars(tenant.scope(select(Plan), Plan)).all()


def plans_by_key(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], Plan]:
    """Plans of any account by (account_id, id)."""
    return lookup.by_keys(session, Plan, keys)


def versions_by_key(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], PlanVersion]:
    """Plan versions of any account by (account_id, id)."""
    return lookup.by_keys(session, PlanVersion, keys)


def plan_by_key(session: Session, account_id: str, plan_id: str) -> Plan:
    return session.get_one(Plan, (account_id, plan_id))


def version_by_key(session: Session, account_id: str, version_id: str) -> PlanVersion:
    return session.get_one(PlanVersion, (account_id, version_id))


def same_product_and_interval(session: Session, tenant: Tenant, plan: Plan) -> Sequence[Plan]:
    """The plans not archived of `plan`'s product billed on its interval, `plan` too."""
    stmt = tenant.scope(select(Plan), Plan).where(
        Plan.product_id == plan.product_id,
        Plan.interval_unit == plan.interval_unit,
        Plan.interval_count == plan.interval_count,
        Plan.archived_at.is_(None),
    )
    return session.scalars(stmt).all()


def of_product(session: Session, tenant: Tenant, product_id: str) -> list[Plan]:
    """The product's plans not archived, oldest first."""
    stmt = tenant.scope(select(Plan), Plan).where(
        Plan.product_id == product_id, Plan.archived_at.is_(None)
    )
    return list(session.scalars(stmt.order_by(Plan.id)))


def active(session: Session, tenant: Tenant) -> list[Plan]:
    """The plans not archived, oldest first."""
    stmt = tenant.scope(select(Plan), Plan).where(Plan.archived_at.is_(None))
    return list(session.scalars(stmt.order_by(Plan.id)))
