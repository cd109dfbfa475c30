"""Twelve months of history for the demo account, lived on a test clock.

The demo's customers are attached to a test clock set a year back; month by month some of
them sign up (a few with a partner code or a trial), use the API, upgrade, downgrade, add
or drop seats, cancel with a reason, come back, or write to support, and the clock moves
on, so renewals, prorations, usage and cancellations happen as they would have. Most
invoices are then recorded as paid; a few stay open, as in life. The clock ends
at the present; advance it (POST /v1/test_clocks/{id}/advance) to bring the demo forward.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from recura.clock import FixedClock
from recura.core.periods import IntervalUnit, add_interval
from recura.db.models import Customer, Plan, Subscription, TestClock
from recura.db.unit_of_work import within
from recura.domains.cancellations import service as cancellations
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers_repository
from recura.domains.invoices import repository as invoices_repository
from recura.domains.plans import repository as plans_repository
from recura.domains.subscriptions import changes, settlement
from recura.domains.subscriptions import repository as subscriptions_repository
from recura.domains.subscriptions import service as subscriptions
from recura.domains.subscriptions.schemas import ChangeRequest, SubscriptionCreate
from recura.domains.support_requests import service as support_requests
from recura.domains.test_clocks import service as test_clocks
from recura.domains.test_clocks.schemas import TestClockCreate
from recura.domains.usage import service as usage
from recura.domains.usage.schemas import UsageEventsCreate

MONTHS = 12
# Why subscribers leave, and how often they say so.
REASONS = {
    "too_expensive": 30,
    "not_using": 25,
    "missing_features": 15,
    "switching_service": 12,
    "temporary_need": 10,
    "technical_problems": 5,
    "other": 3,
}
# What subscribers write to support about (category, subject, message), and how long the
# merchant takes to answer.
QUESTIONS = (
    ("billing", "Factură cu CUI greșit", "Puteți reemite factura pe CUI-ul corect al firmei?"),
    ("billing", "Plată dublă", "Văd două plăți pentru aceeași lună. Puteți verifica?"),
    ("technical", "Limita de apeluri API", "Primim erori 429 de azi-dimineață."),
    ("account", "Schimbarea adresei de e-mail", "Vreau să primesc facturile pe altă adresă."),
    ("other", "Discount pentru ONG", "Oferiți reduceri pentru organizații non-profit?"),
)
ANSWER_WITHIN_HOURS = (1, 30)
HISTORY_STEP = "A year of history"
# Plan codes and how often a new subscriber picks them.
CHOICES = {
    "free": 14,
    "starter-monthly": 36,
    "pro-monthly": 26,
    "starter-annual": 6,
    "pro-annual": 6,
    "enterprise-monthly": 8,
    "enterprise-annual": 4,
}


def clock(session: Session, tenant: Tenant, now: datetime) -> TestClock:
    start = (now - timedelta(days=365)).replace(minute=0, second=0, microsecond=0)
    data = TestClockCreate(name="Demo: the last twelve months", frozen_time=start)
    return test_clocks.create(session, tenant, data, now)


def live_a_year(
    session: Session,
    tenant: Tenant,
    demo_clock: TestClock,
    now: datetime,
    progress: Callable[[str, int, int], None],
) -> None:
    """`progress` is told each month lived (HISTORY_STEP, months done, MONTHS)."""
    rng = random.Random(20251126)
    # The new account is one transaction nobody sees until it commits: its clock's steps
    # join it, and its charges go to the in-process sandbox.
    units, real = within(session), FixedClock(now)
    plans = {p.code: p for p in plans_repository.every_plan(session, tenant)}
    waiting = customers_repository.on_test_clock(session, tenant, demo_clock.id)
    rng.shuffle(waiting)
    per_month = max(1, round(len(waiting) * 0.85 / MONTHS))
    for month in range(MONTHS):
        at = demo_clock.frozen_time
        for customer in waiting[month * per_month : (month + 1) * per_month]:
            _sign_up(session, tenant, customer, plans, rng, at)
        _month_of_use(session, tenant, demo_clock, plans, rng, at)
        following = add_interval(at, IntervalUnit.MONTH, 1, "UTC")
        test_clocks.advance(units, tenant, demo_clock.id, min(following, now), real)
        _collect(session, tenant, rng, demo_clock.frozen_time)
        progress(HISTORY_STEP, month + 1, MONTHS)
    if demo_clock.frozen_time < now:
        test_clocks.advance(units, tenant, demo_clock.id, now, real)


def _sign_up(
    session: Session,
    tenant: Tenant,
    customer: Customer,
    plans: dict[str, Plan],
    rng: random.Random,
    at: datetime,
) -> None:
    code = rng.choices(list(CHOICES), weights=list(CHOICES.values()))[0]
    quantity = 1
    if code.startswith("pro"):
        quantity = rng.choice([1, 1, 2, 3, 5, 8])
    elif code.startswith("enterprise"):
        quantity = rng.randint(5, 40)
    body: dict[str, object] = {
        "customer": customer.id,
        "plan": plans[code].id,
        "quantity": str(quantity),
        "currency": customer.currency,
    }
    if code in ("starter-monthly", "pro-monthly") and rng.random() < 0.15:
        body["promotion_code"] = "PARTNER-ACME"
    if code == "pro-monthly" and rng.random() < 0.5:
        body["trial_days"] = 0  # skipped the trial
    subscriptions.create(session, tenant, SubscriptionCreate.model_validate(body), at)


def _month_of_use(
    session: Session,
    tenant: Tenant,
    demo_clock: TestClock,
    plans: dict[str, Plan],
    rng: random.Random,
    at: datetime,
) -> None:
    live = subscriptions_repository.on_test_clock(
        session, tenant, demo_clock.id, ["trialing", "active", "past_due"]
    )
    _come_back(session, tenant, demo_clock, {s.customer_id for s in live}, rng, at)
    _ask_for_help(session, tenant, live, rng, at)
    events = []
    for sub in live:
        if sub.plan_id in {plans[c].id for c in ("pro-monthly", "enterprise-monthly")}:
            for n in range(rng.randint(1, 30)):
                events.append(
                    {
                        "transaction_id": f"demo-{sub.id}-{at:%Y%m}-{n}",
                        "customer": sub.customer_id,
                        "code": "api_calls",
                        "timestamp": at,
                    }
                )
        if sub.cancel_at_period_end or sub.status == "trialing":
            continue
        roll = rng.random()
        if roll < 0.04:
            reason = rng.choices(list(REASONS), weights=list(REASONS.values()))[0]
            cancellations.cancel(session, tenant, sub.id, at, customer_id=None, reason=reason)
        elif roll < 0.08 and sub.plan_id == plans["starter-monthly"].id:
            upgrade = ChangeRequest(plan=plans["pro-monthly"].id)
            changes.change(session, tenant, sub.id, upgrade, at)
        elif roll < 0.10 and sub.plan_id == plans["pro-monthly"].id:
            seats = ChangeRequest(quantity=Decimal(sub.quantity) + 1)
            changes.change(session, tenant, sub.id, seats, at)
        elif roll < 0.115 and sub.plan_id == plans["pro-monthly"].id:
            downgrade = ChangeRequest(plan=plans["starter-monthly"].id)
            changes.change(session, tenant, sub.id, downgrade, at)
        elif roll < 0.125 and sub.plan_id == plans["pro-monthly"].id and sub.quantity > 1:
            fewer = ChangeRequest(quantity=Decimal(sub.quantity) - 1)
            changes.change(session, tenant, sub.id, fewer, at)
    for offset in range(0, len(events), 1000):
        batch = UsageEventsCreate.model_validate({"events": events[offset : offset + 1000]})
        usage.ingest(session, tenant, batch, at)


def _come_back(
    session: Session,
    tenant: Tenant,
    demo_clock: TestClock,
    subscribed: set[str],
    rng: random.Random,
    at: datetime,
) -> None:
    """A few who left subscribe again, to the plan they had: reactivations."""
    ended = subscriptions_repository.on_test_clock(session, tenant, demo_clock.id, ["canceled"])
    for sub in ended:
        if sub.customer_id in subscribed or rng.random() >= 0.08:
            continue
        subscribed.add(sub.customer_id)
        again = SubscriptionCreate.model_validate(
            {"customer": sub.customer_id, "plan": sub.plan_id, "quantity": str(sub.quantity)}
        )
        subscriptions.create(session, tenant, again, at)


def _ask_for_help(
    session: Session, tenant: Tenant, live: list[Subscription], rng: random.Random, at: datetime
) -> None:
    """Some subscribers write to support; the merchant answers within hours, and closes
    most once answered."""
    for sub in live:
        if rng.random() >= 0.03:
            continue
        category, subject, message = rng.choice(QUESTIONS)
        thread = support_requests.open_request(
            session,
            tenant,
            sub.customer_id,
            category=category,
            subject=subject,
            message=message,
            now=at,
            subscription_id=sub.id,
        )
        answered = at + timedelta(hours=rng.randint(*ANSWER_WITHIN_HOURS))
        reply = "Mulțumim! Am verificat și am rezolvat. Vă mai putem ajuta cu ceva?"
        support_requests.merchant_reply(session, tenant, thread.request.id, reply, answered)
        if rng.random() < 0.7:
            support_requests.merchant_close(session, tenant, thread.request.id, answered)


def _collect(session: Session, tenant: Tenant, rng: random.Random, at: datetime) -> None:
    """Most open invoices get paid (outside Recura, for now); a few stay open."""
    for invoice_id in invoices_repository.open_ids(session, tenant):
        if rng.random() < 0.96:
            settlement.paid_out_of_band(session, tenant, invoice_id, at)
