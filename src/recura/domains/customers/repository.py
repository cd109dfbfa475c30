from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recura.db.models import Customer
from recura.domains.common import lookup
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def get(session: Session, tenant: Tenant, customer_id: str) -> Customer | None:
    return lookup.find(session, tenant, Customer, customer_id)


def by_external_id(session: Session, tenant: Tenant, external_id: str) -> Customer | None:
    stmt = tenant.scope(select(Customer), Customer).where(Customer.external_id == external_id)
    return session.scalar(stmt)


def page(
    session: Session,
    tenant: Tenant,
    *,
    limit: int,
    starting_after: str | None,
    email: str | None = None,
    external_id: str | None = None,
    archived: bool | None = None,
) -> Page[Customer]:
    stmt = tenant.scope(select(Customer), Customer)
    if email is not None:
        stmt = stmt.where(func.lower(Customer.email) == email.lower())
    if external_id is not None:
        stmt = stmt.where(Customer.external_id == external_id)
    if archived is not None:
        stmt = stmt.where(
            Customer.archived_at.isnot(None) if archived else Customer.archived_at.is_(None)
        )
    return paginate(session, stmt, Customer, limit, starting_after)


def default_methods(
    session: Session, tenant: Tenant, customer_ids: Collection[str]
) -> dict[str, str | None]:
    """Each customer's default payment method id, by customer id."""
    stmt = tenant.scope(select(Customer.id, Customer.default_payment_method_id), Customer)
    return {row[0]: row[1] for row in session.execute(stmt.where(Customer.id.in_(customer_ids)))}


def on_test_clock(session: Session, tenant: Tenant, clock_id: str) -> list[Customer]:
    """The clock's customers, oldest first."""
    return list(
        session.scalars(
            tenant.scope(select(Customer), Customer)
            .where(Customer.test_clock_id == clock_id)
            .order_by(Customer.created_at, Customer.id)
        )
    )
