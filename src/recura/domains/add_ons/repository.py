from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from recura.db.models import AddOn
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None, code: str | None
) -> Page[AddOn]:
    stmt = tenant.scope(select(AddOn), AddOn)
    if code is not None:
        stmt = stmt.where(AddOn.code == code)
    return paginate(session, stmt, AddOn, limit, starting_after)


def by_ids(session: Session, tenant: Tenant, add_on_ids: Collection[str]) -> Sequence[AddOn]:
    return session.scalars(tenant.scope(select(AddOn), AddOn).where(AddOn.id.in_(add_on_ids))).all()
