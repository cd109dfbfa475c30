from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from recura.db.models import Invoice, Subscription, SupportMessage, SupportRequest
from recura.domains.common import lookup
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def get(session: Session, tenant: Tenant, request_id: str) -> SupportRequest | None:
    return lookup.find(session, tenant, SupportRequest, request_id)


def locked(
    session: Session, tenant: Tenant, request_id: str, customer_id: str | None = None
) -> SupportRequest | None:
    """The request, locked FOR UPDATE and read afresh: two replies at once take turns, so
    only one of them is the merchant's first. With `customer_id`, only that customer's."""
    stmt = tenant.scope(select(SupportRequest), SupportRequest).where(
        SupportRequest.id == request_id
    )
    if customer_id is not None:
        stmt = stmt.where(SupportRequest.customer_id == customer_id)
    stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalar(stmt)


def of_customer(
    session: Session, tenant: Tenant, request_id: str, customer_id: str
) -> SupportRequest | None:
    stmt = tenant.scope(select(SupportRequest), SupportRequest).where(
        SupportRequest.id == request_id, SupportRequest.customer_id == customer_id
    )
    return session.scalar(stmt)


def page(
    session: Session,
    tenant: Tenant,
    *,
    limit: int,
    starting_after: str | None,
    status: str | None = None,
    customer: str | None = None,
) -> Page[SupportRequest]:
    stmt = tenant.scope(select(SupportRequest), SupportRequest)
    if status is not None:
        stmt = stmt.where(SupportRequest.status == status)
    if customer is not None:
        stmt = stmt.where(SupportRequest.customer_id == customer)
    return paginate(session, stmt, SupportRequest, limit, starting_after)


def messages(session: Session, tenant: Tenant, request_id: str) -> list[SupportMessage]:
    """The request's thread, oldest first."""
    stmt = (
        tenant.scope(select(SupportMessage), SupportMessage)
        .where(SupportMessage.request_id == request_id)
        .order_by(SupportMessage.id)
    )
    return list(session.scalars(stmt))


def last_message(session: Session, tenant: Tenant, request_id: str) -> SupportMessage | None:
    stmt = (
        tenant.scope(select(SupportMessage), SupportMessage)
        .where(SupportMessage.request_id == request_id)
        .order_by(SupportMessage.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def invoice_customer(session: Session, tenant: Tenant, invoice_id: str) -> str | None:
    """Whose the tenant's invoice is, if it has one with this id."""
    stmt = tenant.scope(select(Invoice.customer_id), Invoice).where(Invoice.id == invoice_id)
    return session.scalar(stmt)


def subscription_customer(session: Session, tenant: Tenant, subscription_id: str) -> str | None:
    """Whose the tenant's subscription is, if it has one with this id."""
    stmt = tenant.scope(select(Subscription.customer_id), Subscription).where(
        Subscription.id == subscription_id
    )
    return session.scalar(stmt)


def find_by_key(session: Session, account_id: str, request_id: str) -> SupportRequest | None:
    """The account's request with this id, in test or live data, if there is one."""
    return session.get(SupportRequest, (account_id, request_id))
