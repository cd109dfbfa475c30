"""Subscribing again to what a canceled subscription had, from the subscriber's
reactivation link: the same plan (at its current version), quantity, add-ons and currency,
starting now without a trial and charged automatically. The new subscription is made by
`service.create`, as `POST /v1/subscriptions` makes one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.core.invoicing import InvoiceDraft
from recura.db.models import Invoice, Subscription
from recura.domains.common.errors import ConflictError
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import issuing
from recura.domains.invoices import repository as invoices_repository
from recura.domains.subscriptions import repository, service
from recura.domains.subscriptions.schemas import AddOnChoice, SubscriptionCreate


def twin(session: Session, tenant: Tenant, old: Subscription) -> Subscription | None:
    """A subscription of the same customer to the same plan that is not canceled: whoever
    made it, subscribing again would bill the customer twice for one thing."""
    return repository.latest_not_canceled(session, tenant, old.customer_id, old.plan_id)


def request_for(session: Session, tenant: Tenant, old: Subscription) -> SubscriptionCreate:
    chosen = repository.add_ons_of(session, tenant, [old.id])
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
    """What subscribing again costs: the first invoice `restart` would make, taxed and less
    the customer's credit, worked out as `service.create` works it out; saves nothing."""
    start = service.opening(session, tenant, request_for(session, tenant, old), now)
    return issuing.draft(session, tenant, old.customer_id, start.inputs())


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
    return invoices_repository.of_subscription(session, tenant, sub.id)
