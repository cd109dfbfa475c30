from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from recura.db.models import Product
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def page(session: Session, tenant: Tenant, limit: int, starting_after: str | None) -> Page[Product]:
    return paginate(session, tenant.scope(select(Product), Product), Product, limit, starting_after)


def active(session: Session, tenant: Tenant) -> list[Product]:
    """The products not archived, oldest first."""
    stmt = tenant.scope(select(Product), Product).where(Product.archived_at.is_(None))
    return list(session.scalars(stmt.order_by(Product.id)))
