"""The announcements' queries: the list, those shown now, and the customers an
announcement's emails go to, a chunk at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from recura.db.models import Announcement, Customer, Plan, Subscription
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant

PENDING = "pending"


def page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None
) -> Page[Announcement]:
    stmt = tenant.scope(select(Announcement), Announcement)
    return paginate(session, stmt, Announcement, limit, starting_after)


def current(session: Session, tenant: Tenant, now: datetime) -> list[Announcement]:
    """Published, not ended, not archived: newest first."""
    stmt = (
        tenant.scope(select(Announcement), Announcement)
        .where(
            Announcement.archived_at.is_(None),
            Announcement.published_at.is_not(None),
            Announcement.published_at <= now,
            or_(Announcement.ends_at.is_(None), Announcement.ends_at > now),
        )
        .order_by(Announcement.published_at.desc(), Announcement.id.desc())
    )
    return list(session.scalars(stmt))


def subscriptions_of(
    session: Session, tenant: Tenant, customer_id: str
) -> list[tuple[str, str, str]]:
    """(plan, product, status) of each of the customer's subscriptions."""
    stmt = (
        tenant.scope(
            select(Subscription.plan_id, Plan.product_id, Subscription.status), Subscription
        )
        .join(
            Plan, (Plan.account_id == Subscription.account_id) & (Plan.id == Subscription.plan_id)
        )
        .where(Subscription.customer_id == customer_id)
    )
    return [(row[0], row[1], row[2]) for row in session.execute(stmt)]


def lock_emailing(session: Session) -> Announcement | None:
    """One announcement whose emails are still being written, of any account, locked
    (SKIP LOCKED: another worker takes another one)."""
    stmt = (
        select(Announcement)
        .where(Announcement.email_status == PENDING)
        .order_by(Announcement.account_id, Announcement.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return session.scalar(stmt)


def recipients(
    session: Session, announcement: Announcement, after: str | None, limit: int
) -> Sequence[Customer]:
    """The next `limit` customers (by id, after `after`) the announcement targets who have
    an address and did not opt out of marketing."""
    tenant = Tenant(announcement.account_id, announcement.livemode)
    stmt = tenant.scope(select(Customer), Customer).where(
        Customer.email.is_not(None),
        Customer.marketing_opted_out_at.is_(None),
        Customer.archived_at.is_(None),
    )
    if after is not None:
        stmt = stmt.where(Customer.id > after)
    if announcement.product_ids or announcement.plan_ids or announcement.statuses:
        stmt = stmt.where(exists(_matching(announcement)))
    return session.scalars(stmt.order_by(Customer.id).limit(limit)).all()


def _matching(announcement: Announcement):  # type: ignore[no-untyped-def]
    """A subscription of the outer query's customer that the announcement targets."""
    sub = select(Subscription.id).where(
        Subscription.account_id == Customer.account_id,
        Subscription.customer_id == Customer.id,
    )
    if announcement.product_ids or announcement.plan_ids:
        of = []
        if announcement.plan_ids:
            of.append(Subscription.plan_id.in_(announcement.plan_ids))
        if announcement.product_ids:
            products = select(Plan.id).where(
                Plan.account_id == announcement.account_id,
                Plan.product_id.in_(announcement.product_ids),
            )
            of.append(Subscription.plan_id.in_(products))
        sub = sub.where(or_(*of))
    if announcement.statuses:
        sub = sub.where(Subscription.status.in_(announcement.statuses))
    return sub


def find_by_key(session: Session, account_id: str, announcement_id: str) -> Announcement | None:
    return session.get(Announcement, (account_id, announcement_id))
