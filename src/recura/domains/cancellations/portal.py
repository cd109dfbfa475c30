"""What a subscriber may change in the portal, by the merchant's settings: plan changes
(an upgrade at once, a downgrade when the account says), and pausing and resuming (only
when the account allows them). Pages call these, then the subscription code they name."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from recura.core import interval_change
from recura.db.models import Account, Subscription
from recura.domains.accounts import service as accounts
from recura.domains.cancellations import offers
from recura.domains.common.errors import ConflictError, invalid
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers_repository
from recura.domains.customers import service as customers
from recura.domains.subscriptions import actions, changes
from recura.domains.subscriptions.schemas import ChangeRequest
from recura.domains.subscriptions.terms import Terms

Timing = Literal["now", "period_end"]
PAUSE_MONTHS = range(1, 4)


def portal_change_timing(account: Account, current: Terms, target: Terms) -> Timing:
    """When a change the subscriber picks takes effect: at once unless it is a downgrade,
    which waits for the period end unless the account lets downgrades happen at once.

    On one interval a downgrade lowers what the subscription costs a month (by the prices,
    whatever the plans are called). Between intervals it is a shorter commitment (yearly to
    monthly), though a month of the yearly plan usually costs less: the commitment, not
    the price, is what the subscriber gives up."""
    if interval_change.changes_interval(current.interval, target.interval):
        upgrade = interval_change.longer(current.interval, target.interval)
    else:
        upgrade = target.mrr() >= current.mrr()
    if upgrade:
        return "now"
    return "now" if account.portal_downgrade_timing == "now" else "period_end"


def portal_change_request(
    session: Session,
    tenant: Tenant,
    subscription_id: str,
    data: ChangeRequest,
    now: datetime,
    *,
    customer_id: str,
) -> ChangeRequest:
    """`data` with its timing decided as above, for `changes.preview_change` (the exact
    preview) and then `changes.change`, which carry it out the same way."""
    sub = offers.subscription(session, tenant, subscription_id, customer_id)
    planned = changes.plan_change(session, tenant, sub, data, now)
    timing = portal_change_timing(planned.basis.account, planned.basis.terms, planned.new)
    return data.model_copy(update={"effective": timing})


def pause_enabled(account: Account) -> bool:
    return account.portal_pause_enabled


def portal_pause(
    session: Session,
    tenant: Tenant,
    subscription_id: str,
    now: datetime,
    *,
    customer_id: str,
    months: int,
) -> Subscription:
    """Pause for 1 to 3 months, when the account allows subscribers to; it resumes by
    itself on `resume_at` (or earlier with `portal_resume`)."""
    _allowing_pause(session, tenant)
    if months not in PAUSE_MONTHS:
        raise invalid("/months", "must be 1, 2 or 3")
    sub = offers.subscription(session, tenant, subscription_id, customer_id)
    customer = customers_repository.by_key(session, tenant.account_id, sub.customer_id)
    until = offers.resume_at(sub, months, customers.now_for(session, tenant, customer, now))
    return actions.pause(session, tenant, sub.id, now, until)


def portal_resume(
    session: Session, tenant: Tenant, subscription_id: str, now: datetime, *, customer_id: str
) -> Subscription:
    """Resume now, in a new period, when the account allows subscribers to pause."""
    _allowing_pause(session, tenant)
    sub = offers.subscription(session, tenant, subscription_id, customer_id)
    return actions.resume(session, tenant, sub.id, now)


def _allowing_pause(session: Session, tenant: Tenant) -> None:
    if not pause_enabled(accounts.get_account(session, tenant.account_id)):
        raise ConflictError("This account does not let subscribers pause from the portal.")
