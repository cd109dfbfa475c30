"""Subscribing again to what a canceled subscription had, from the subscriber's
reactivation link: the same plan (at its current version), quantity, add-ons and currency,
starting now without a trial and charged automatically. The new subscription is made by
`service.create`, as `POST /v1/subscriptions` makes one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recura.core.charges import fee_lines
from recura.core.invoicing import InvoiceDraft
from recura.core.periods import Period, add_interval
from recura.db.models import Customer, Invoice, Plan, Subscription, SubscriptionAddOn
from recura.domains.accounts import service as accounts
from recura.domains.common import lookup
from recura.domains.common.errors import ConflictError
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import issuing
from recura.domains.plans import repository as plans
from recura.domains.subscriptions import billing, service, terms
from recura.domains.subscriptions.billing import Billing
from recura.domains.subscriptions.schemas import AddOnChoice, SubscriptionCreate


def twin(session: Session, tenant: Tenant, old: Subscription) -> Subscription | None:
    """A subscription of the same customer to the same plan that is not canceled: whoever
    made it, subscribing again would bill the customer twice for one thing."""
    stmt = tenant.scope(select(Subscription), Subscription).where(
        Subscription.customer_id == old.customer_id,
        Subscription.plan_id == old.plan_id,
        Subscription.status != "canceled",
    )
    return session.scalars(stmt.order_by(Subscription.created_at.desc()).limit(1)).first()


def request_for(session: Session, tenant: Tenant, old: Subscription) -> SubscriptionCreate:
    stmt = tenant.scope(select(SubscriptionAddOn), SubscriptionAddOn).where(
        SubscriptionAddOn.subscription_id == old.id
    )
    chosen = session.scalars(stmt.order_by(SubscriptionAddOn.created_at, SubscriptionAddOn.id))
    return SubscriptionCreate(
        customer=old.customer_id,
        plan=old.plan_id,
        quantity=old.quantity,
        currency=old.currency,
        trial_days=0,
        add_ons=[AddOnChoice(add_on=row.add_on_id, quantity=row.quantity) for row in chosen],
        collection_method="charge_automatically",
        metadata={"restarted_from": old.id},
    )


def quote(session: Session, tenant: Tenant, old: Subscription, now: datetime) -> InvoiceDraft:
    """What subscribing again costs: a whole period of the plan and its add-ons, and the
    setup fee, taxed and less the customer's credit; saves nothing."""
    data = request_for(session, tenant, old)
    account = accounts.get_account(session, tenant.account_id)
    customer = session.get_one(Customer, (tenant.account_id, old.customer_id))
    plan = lookup.referenced(session, tenant, Plan, data.plan, "plan", "/plan")
    version = plans.current_versions(session, tenant, [plan.id])[plan.id]
    chosen = service.add_ons(session, tenant, data.add_ons, "/add_ons")
    sold = terms.build(session, tenant, plan, version, old.currency, old.quantity, chosen)
    b = Billing(account, customer, old, sold)
    end = add_interval(now, sold.interval.unit, sold.interval.count, account.timezone)
    period = Period(now, end)
    lines = billing.setup_fee_lines(b) + fee_lines(sold.items, period, period, b.tax_rate)
    return issuing.draft(session, tenant, customer.id, b.inputs(lines))


def restart(
    session: Session, tenant: Tenant, subscription_id: str, now: datetime
) -> tuple[Subscription, bool]:
    """The new subscription, and whether this call made it. A second call (a double click,
    a form sent again) finds the first one's subscription and makes none."""
    # Calls for one subscription queue here, so the second sees the first one's twin.
    old = service.get_for_update(session, tenant, subscription_id)
    found = twin(session, tenant, old)
    if found is not None:
        return found, False
    if old.status != "canceled":
        raise ConflictError(f"Subscription '{old.id}' is {old.status}, not canceled.")
    return service.create(session, tenant, request_for(session, tenant, old), now), True


def invoices_of(session: Session, tenant: Tenant, sub: Subscription) -> list[Invoice]:
    stmt = tenant.scope(select(Invoice), Invoice).where(Invoice.subscription_id == sub.id)
    return list(session.scalars(stmt.order_by(Invoice.created_at, Invoice.id)))
