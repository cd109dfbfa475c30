from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from recura.db.models import BillableMetric
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def get(session: Session, tenant: Tenant, metric_id: str) -> BillableMetric | None:
    stmt = tenant.scope(select(BillableMetric), BillableMetric).where(
        BillableMetric.id == metric_id
    )
    return session.scalar(stmt)


def by_code(session: Session, tenant: Tenant, code: str) -> BillableMetric | None:
    stmt = tenant.scope(select(BillableMetric), BillableMetric).where(BillableMetric.code == code)
    return session.scalar(stmt)


def page(
    session: Session,
    tenant: Tenant,
    *,
    limit: int,
    starting_after: str | None,
    code: str | None = None,
    archived: bool | None = None,
) -> Page[BillableMetric]:
    stmt = tenant.scope(select(BillableMetric), BillableMetric)
    if code is not None:
        stmt = stmt.where(BillableMetric.code == code)
    if archived is not None:
        column = BillableMetric.archived_at
        stmt = stmt.where(column.isnot(None) if archived else column.is_(None))
    return paginate(session, stmt, BillableMetric, limit, starting_after)
