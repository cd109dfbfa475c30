"""What the console shows of one customer: their profile's neighbours (subscriptions,
invoices, payments, balance, emails, support requests, the team's support notes,
onboarding, engagement) and the timeline of the events about them and their
subscriptions, invoices and payments. Each list is the newest few; the API pages through
the rest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from recura.db.models import (
    Customer,
    CustomerNote,
    EmailMessage,
    Event,
    Invoice,
    Payment,
    Plan,
    Subscription,
    SupportRequest,
)
from recura.domains.balances import service as balances
from recura.domains.common.tenant import Tenant
from recura.domains.customer_notes import repository as customer_notes
from recura.domains.customers import service
from recura.domains.email_messages import repository as email_messages
from recura.domains.engagement import repository as engagement
from recura.domains.events import repository as events
from recura.domains.invoices import repository as invoices
from recura.domains.onboarding import guide
from recura.domains.payments import repository as payments
from recura.domains.plans import repository as plans
from recura.domains.subscriptions import repository as subscriptions
from recura.domains.support_requests import repository as support_requests

SHOWN = 20
TIMELINE = 50
ENGAGEMENT_DAYS = 30


@dataclass(frozen=True, slots=True)
class Overview:
    customer: Customer
    subscriptions: list[Subscription]
    plans: dict[str, Plan]
    invoices: list[Invoice]
    payments: list[Payment]
    balance: dict[str, int]
    emails: list[EmailMessage]
    support_requests: list[SupportRequest]
    notes: list[CustomerNote]
    onboarding: guide.Guide
    active_days: int
    timeline: list[Event]


def of(session: Session, tenant: Tenant, customer: Customer, now: datetime) -> Overview:
    subs = subscriptions.page(session, tenant, SHOWN, None, customer.id, None).items
    found_plans = plans.plans_by_key(session, {(tenant.account_id, s.plan_id) for s in subs})
    bills = invoices.page(
        session, tenant, SHOWN, None, customer=customer.id, subscription=None, status=None
    ).items
    paid = payments.payments_page(
        session, tenant, SHOWN, None, invoice=None, customer=customer.id
    ).items
    # A customer on a test clock lives at the clock's time: their last 30 days are its.
    today = service.now_for(session, tenant, customer, now).date()
    objects = {customer.id, *(s.id for s in subs), *(i.id for i in bills), *(p.id for p in paid)}
    return Overview(
        customer=customer,
        subscriptions=subs,
        plans={plan_id: plan for (_, plan_id), plan in found_plans.items()},
        invoices=bills,
        payments=paid,
        balance=balances.available(session, tenant, customer.id),
        emails=email_messages.page(session, tenant, SHOWN, None, {"customer": customer.id}).items,
        support_requests=support_requests.page(
            session, tenant, limit=SHOWN, starting_after=None, customer=customer.id
        ).items,
        notes=customer_notes.newest(session, tenant, customer.id, SHOWN),
        onboarding=guide.guide(session, tenant, customer.id),
        active_days=engagement.active_days_of(
            session, tenant, customer.id, today - timedelta(days=ENGAGEMENT_DAYS - 1), today
        ),
        timeline=events.of_objects(session, tenant, objects, TIMELINE),
    )
