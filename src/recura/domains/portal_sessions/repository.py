from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recura.db.models import Customer, PortalSession, Subscription
from recura.domains.common.tenant import Tenant


def newest_customer_by_email(session: Session, tenant: Tenant, email: str) -> Customer | None:
    """The most recent unarchived customer with this address, whatever its case."""
    stmt = (
        select(Customer)
        .where(
            Customer.account_id == tenant.account_id,
            Customer.livemode == tenant.livemode,
            func.lower(Customer.email) == email.lower(),
            Customer.archived_at.is_(None),
        )
        .order_by(Customer.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def lock(session: Session, account_id: str, session_id: str) -> PortalSession | None:
    stmt = (
        select(PortalSession)
        .where(PortalSession.account_id == account_id, PortalSession.id == session_id)
        .with_for_update()
    )
    return session.scalar(stmt)


def get(session: Session, account_id: str, session_id: str) -> PortalSession | None:
    return session.get(PortalSession, (account_id, session_id))


def demo_subscriber(session: Session, tenant: Tenant) -> Customer | None:
    """The oldest customer with an email and an active, paid subscription."""
    stmt = (
        select(Customer)
        .join(
            Subscription,
            (Subscription.account_id == Customer.account_id)
            & (Subscription.customer_id == Customer.id),
        )
        .where(
            Customer.account_id == tenant.account_id,
            Customer.livemode == tenant.livemode,
            Customer.email.is_not(None),
            Customer.archived_at.is_(None),
            Subscription.status == "active",
            Subscription.mrr > 0,
        )
        .order_by(Customer.id)
        .limit(1)
    )
    return session.scalar(stmt)
