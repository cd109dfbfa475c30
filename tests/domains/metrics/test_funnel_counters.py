"""The daily checkout, cancellation and support counts the services keep, on both
backends: random checkout sessions moved through their stages, completed or expired,
cancellation flows given reasons, offers accepted or declined, and support requests
answered, through the services that make each change. The rows they kept are the rows a
rebuild makes from the sessions, flows and requests, and the reads (with a plan filter
for checkout) give what the definitions give over those rows one by one."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from recura.core import funnels
from recura.db.models import (
    CancellationFeedback,
    CheckoutSession,
    Subscription,
    SupportRequest,
)
from recura.db.unit_of_work import unit_of_work
from recura.domains.cancellations import service as cancellations
from recura.domains.checkout import finishing
from recura.domains.checkout import service as checkout
from recura.domains.checkout.schemas import CheckoutSessionCreate
from recura.domains.common.tenant import Tenant
from recura.domains.funnels import counters, reads
from recura.domains.funnels import rollups as funnel_rollups
from recura.domains.metrics.reads import Granularity
from recura.domains.support_requests import service as support
from tests.conftest import Api, Merchant
from tests.domains.cancellations.shop import Shop, day
from tests.domains.metrics.test_funnel_counts import by_instant

STAGES = ("opened", "details", "payment_method", "confirmed")


def kept_rows(session: Session, tenant: Tenant) -> dict[str, list[tuple[Any, ...]]]:
    """Every daily count row of the tenant, per table, in key order."""
    found = {}
    for kind in counters.KINDS:
        table = kind.rollup.__table__
        stmt = select(table).where(
            table.c.account_id == tenant.account_id, table.c.livemode == tenant.livemode
        )
        found[table.name] = sorted(tuple(r) for r in session.execute(stmt))
    return found


def checkouts(shop: Shop, rng: random.Random, plans: list[str], sub: str) -> None:
    """Sessions made over two months, each taken to a random stage (sometimes back to an
    earlier one, which moves nothing), then completed, expired or left open."""
    for _ in range(40):
        made = shop.now + timedelta(days=rng.randrange(60), hours=rng.uniform(0, 24))
        data = CheckoutSessionCreate.model_validate(
            {"plan": rng.choice(plans), "success_url": "https://example.ro/ok"}
        )
        ident = shop.run(checkout.create, data, made).id
        at = made + timedelta(minutes=5)
        for stage in rng.sample(STAGES, rng.randrange(len(STAGES) + 1)):
            if stage == "opened":
                shop.run(checkout.mark_opened, ident, at)
            else:
                with unit_of_work(shop.factory) as session:
                    row = checkout.open_for_update(session, shop.tenant, ident, at)
                    checkout.reach(session, row, stage, at)
        end = rng.choice(("complete", "complete", "expire", "open"))
        with unit_of_work(shop.factory) as session:
            if end == "complete":
                for _ in range(rng.choice((1, 2))):  # told twice: counted once
                    row = checkout.get_for_update(session, shop.tenant, ident, at)
                    if row.status != "complete":
                        started = session.scalars(
                            select(Subscription).where(Subscription.id == sub)
                        ).one()
                        finishing.finish(session, shop.tenant, row, started, None, at)
            elif end == "expire":
                checkout.expire(session, shop.tenant, ident, at)


def flows(shop: Shop, rng: random.Random, plans: list[str]) -> None:
    """A subscriber per flow: a reason (or none, or changed), then the offer accepted,
    declined, a plain cancel, or no answer yet; a second flow after a reactivation."""
    reasons = ("too_expensive", "other", None)
    answers = ["accept", "decline", "cancel", "cancel", "wait"] * 2
    rng.shuffle(answers)
    for n, answer in enumerate(answers):
        if n == 5:
            shop.advance_to(day(4, 20))
        customer = shop.customer()
        sub = shop.subscribe(customer, rng.choice(plans))["id"]
        mine = {"customer_id": customer}
        flow = shop.run(
            cancellations.record_reason, sub, shop.now, reason=rng.choice(reasons), **mine
        )
        if rng.random() < 0.4:
            shop.run(cancellations.record_reason, sub, shop.now, reason="other", **mine)
        if answer == "accept" and flow.offer is not None:
            shop.run(cancellations.accept_offer, flow.feedback.id, shop.now, **mine)
        elif answer == "decline" and flow.offer is not None:
            shop.run(cancellations.decline_offer_and_cancel, flow.feedback.id, shop.now, **mine)
        elif answer == "cancel":
            shop.run(cancellations.cancel, sub, shop.now, reason=rng.choice(reasons), **mine)
            if n % 2 == 0:
                shop.act(sub, "reactivate")
                shop.run(cancellations.cancel, sub, shop.now, reason="too_expensive", **mine)


def requests(shop: Shop, rng: random.Random, customers: list[str]) -> None:
    """Requests opened over two months, most answered (some twice) after a random wait."""
    for _ in range(40):
        opened = shop.now + timedelta(days=rng.randrange(60), hours=rng.uniform(0, 24))
        ident = shop.run(
            support.open_request,
            rng.choice(customers),
            category="billing",
            subject="?",
            message="De ce?",
            now=opened,
        ).request.id
        if rng.random() < 0.8:
            wait = timedelta(seconds=rng.choice((0.4, 59.999, 3600, rng.uniform(0, 90000))))
            shop.run(support.merchant_reply, ident, "Verificăm.", opened + wait)
            if rng.random() < 0.3:
                shop.run(support.merchant_reply, ident, "Rezolvat.", opened + 2 * wait)


def test_kept_by_the_services_as_rebuilt_and_as_defined(
    api: Api, merchant: Merchant, session_factory: Any
) -> None:
    rng = random.Random(11)
    shop = Shop(api, merchant, session_factory)
    api.ok("PATCH", "/v1/account", json={"timezone": "Europe/Bucharest"})
    shop.offer({"kind": "pause", "months": 2})
    plans = [shop.plan(4000), shop.plan(6000)]
    first = shop.customer()
    sub = shop.subscribe(first, plans[0])["id"]
    plain = [
        api.ok("POST", "/v1/customers", 201, json={"name": n, "email": f"{n}@example.ro"})["id"]
        for n in ("ana", "eva")
    ]
    checkouts(shop, rng, plans, sub)
    requests(shop, rng, plain)
    flows(shop, rng, plans)
    tenant = shop.tenant

    with unit_of_work(session_factory) as session:
        kept = kept_rows(session, tenant)
        funnel_rollups.rebuild(session, tenant)  # as `recura metrics rebuild` does
        assert kept_rows(session, tenant) == kept
    assert all(kept.values())

    with unit_of_work(session_factory) as session:
        sessions = session.execute(
            select(CheckoutSession.created_at, CheckoutSession.plan_id, CheckoutSession.stage,
                   CheckoutSession.status).where(CheckoutSession.account_id == tenant.account_id)
        ).all()  # fmt: skip
        all_flows = session.execute(
            select(CancellationFeedback.created_at, CancellationFeedback.reason,
                   CancellationFeedback.outcome, CancellationFeedback.canceled)
            .where(CancellationFeedback.account_id == tenant.account_id)
        ).all()  # fmt: skip
        all_requests = session.execute(
            select(SupportRequest.created_at, SupportRequest.first_response_at).where(
                SupportRequest.account_id == tenant.account_id
            )
        ).all()
        outcomes = {o for _, _, o, _ in all_flows}
        assert {"accepted", "declined", "not_offered"} <= outcomes
        assert {s for _, _, _, s in sessions} == {"open", "complete", "expired"}
        start = min(at for at, *_ in [*sessions, *all_flows, *all_requests]).date()
        end = max(at for at, *_ in [*sessions, *all_flows, *all_requests]).date()
        checked = 0
        for granularity in Granularity:
            w = reads.window(session, tenant, start, end + timedelta(days=1), granularity)
            for chosen in (None, {plans[1]}):
                kept_sessions = [
                    (at, (stage, status == "complete"))
                    for at, plan, stage, status in sessions
                    if chosen is None or plan in chosen
                ]
                expected = [funnels.checkout_funnel(b) for b in by_instant(w, kept_sessions)]
                found = [f for _, _, f in reads.checkout(session, tenant, w, chosen)]
                assert found == expected, (granularity, chosen)
                checked += sum(f.completed for f in found)
            expected_flows = [
                funnels.offer_acceptance(b)
                for b in by_instant(w, [(at, (r, o, c)) for at, r, o, c in all_flows])
            ]
            assert [o for _, _, o in reads.cancellations(session, tenant, w)] == expected_flows
            waits = [
                funnels.response_times(b)
                for b in by_instant(
                    w, [(at, None if f is None else f - at) for at, f in all_requests]
                )
            ]
            assert [t for _, _, t in reads.support(session, tenant, w)] == waits, granularity
            checked += sum(t.answered for t in waits)
    assert checked > 0
