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


# A portal page lists them all; an account sells a handful.
OFFERED_MAX = 50


def offered(session: Session, tenant: Tenant) -> Sequence[AddOn]:
    """The add-ons not archived, by name, that a subscriber may choose from."""
    stmt = (
        tenant.scope(select(AddOn), AddOn)
        .where(AddOn.archived_at.is_(None))
        .order_by(AddOn.name, AddOn.id)
        .limit(OFFERED_MAX)
    )
    return session.scalars(stmt).all()
