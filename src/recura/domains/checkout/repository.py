"""Every query of checkout sessions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from recura.db.models import CheckoutSession
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant

# An open session untouched this long counts as abandoned in the list.
ABANDONED_AFTER = timedelta(hours=1)


def get_for_update(session: Session, tenant: Tenant, checkout_id: str) -> CheckoutSession | None:
    """The session, its row locked until commit (read afresh): two confirmations of one
    checkout (a double click, two tabs) take their turns here."""
    stmt = (
        tenant.scope(select(CheckoutSession), CheckoutSession)
        .where(CheckoutSession.id == checkout_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalar(stmt)


def of_subscription_for_update(
    session: Session, tenant: Tenant, subscription_id: str
) -> CheckoutSession | None:
    """The session that made the subscription, its row locked (the unique key on
    (account, subscription) finds it)."""
    stmt = (
        tenant.scope(select(CheckoutSession), CheckoutSession)
        .where(CheckoutSession.subscription_id == subscription_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalar(stmt)


def by_id(session: Session, checkout_id: str) -> CheckoutSession | None:
    """The session with this id in whichever account and mode holds it: the hosted page's
    address names no account. Ids are random and prefixed, so at most one row has it."""
    stmt = select(CheckoutSession).where(CheckoutSession.id == checkout_id).limit(2)
    found = list(session.scalars(stmt))
    return found[0] if len(found) == 1 else None


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    now: datetime,
    *,
    status: str | None = None,
    abandoned: bool | None = None,
) -> Page[CheckoutSession]:
    """Newest first. Statuses as they read at `now`: an open session past its expiry is
    expired. Abandoned: expired, or open for over an hour without completing."""
    model = CheckoutSession
    stmt = tenant.scope(select(model), model)
    still_open = and_(model.status == "open", model.expires_at > now)
    lapsed = or_(model.status == "expired", and_(model.status == "open", model.expires_at <= now))
    if status == "open":
        stmt = stmt.where(still_open)
    elif status == "expired":
        stmt = stmt.where(lapsed)
    elif status is not None:
        stmt = stmt.where(model.status == status)
    stale = and_(model.status == "open", model.created_at <= now - ABANDONED_AFTER)
    if abandoned is True:
        stmt = stmt.where(or_(lapsed, stale))
    elif abandoned is False:
        stmt = stmt.where(~or_(lapsed, stale))
    return paginate(session, stmt, model, limit, starting_after)
