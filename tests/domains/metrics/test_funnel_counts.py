"""Checkout conversion, cancel reasons and support first-response times read from the
daily counts a rebuild makes (`funnels/counters.py`), on both backends: random sessions,
flows and requests (some at the account's midnight, some across the daylight-saving
changes of Europe/Bucharest), written straight to their tables and counted by the
rebuild, give per day, week and month and with a plan filter what the definitions give
over the rows one by one. The services keep the same counts as they change those rows
(`test_funnel_counters.py`)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura import ids
from recura.core import funnels
from recura.core.funnels import CHECKOUT_STAGES
from recura.db import bulk
from recura.db.models import CancellationFeedback, CheckoutSession, SupportRequest
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.funnels import counters, reads
from recura.domains.metrics.reads import Granularity
from tests.conftest import Api, Merchant
from tests.scenarios.world import World

ZONE = ZoneInfo("Europe/Bucharest")
T = TypeVar("T")
FIRST = datetime(2025, 3, 1, tzinfo=ZONE)


def instant(rng: random.Random) -> datetime:
    """A moment of 2025, often exactly at or just before the account's midnight."""
    day = FIRST + timedelta(days=rng.randrange(300))
    midnight = datetime.combine(day.date(), time(), ZONE)
    shift = rng.choice(
        (timedelta(0), -timedelta(microseconds=1), timedelta(hours=rng.uniform(0, 24)))
    )
    return (midnight + shift).astimezone(UTC)


def by_instant(w: reads.Window, items: Iterable[tuple[datetime, T]]) -> list[list[T]]:
    """The items of each period, by the account's day of their instant."""
    return w.bucket_days((w.day(at), item) for at, item in items)


def seed(
    factory: sessionmaker[Session], tenant: Tenant, rng: random.Random, world: dict[str, Any]
) -> None:
    keys = {"account_id": tenant.account_id, "livemode": False}
    sessions, flows, requests = [], [], []
    for _ in range(300):
        at = instant(rng)
        stage = rng.choice((None, *CHECKOUT_STAGES))
        sessions.append(
            {
                **keys,
                "id": ids.new_id("checkout_session"),
                "created_at": at,
                "plan_id": rng.choice(world["plans"]),
                "quantity": 1,
                "add_ons": [],
                "coupon_id": None,
                "allow_promotion_codes": False,
                "promotion_code_id": None,
                "customer_id": None,
                "customer_given": False,
                "customer_email": None,
                "locale": "ro",
                "currency": "RON",
                "success_url": None,
                "cancel_url": None,
                "metadata": {},
                "acquisition": {},
                "status": rng.choice(("open", "expired", "complete")),
                "stage": stage,
                "opened_at": None,
                "details_at": None,
                "payment_method_at": None,
                "confirmed_at": None,
                "details": None,
                "terms_accepted_at": None,
                "last_error": None,
                "subscription_id": None,
                "expires_at": at + timedelta(hours=24),
                "completed_at": None,
                "updated_at": at,
            }
        )
        flows.append(
            {
                **keys,
                "id": ids.new_id("cancellation_feedback"),
                "created_at": instant(rng),
                "subscription_id": world["subscription"],
                "customer_id": world["customer"],
                "reason": rng.choice(("too_expensive", "unused", None)),
                "reason_text": None,
                "offer_kind": None,
                "offer": None,
                "outcome": rng.choice(("pending", "accepted", "declined", "not_offered")),
                "canceled": rng.random() < 0.5,
                "access_ends_at": None,
                "answered_at": None,
                "updated_at": at,
            }
        )
        opened = instant(rng)
        wait = timedelta(seconds=rng.choice((0.4, 59.999, 3600, rng.uniform(0, 90000))))
        first = opened + wait if rng.random() < 0.8 else None
        requests.append(
            {
                **keys,
                "id": ids.new_id("support_request"),
                "created_at": opened,
                "customer_id": world["customer"],
                "category": "billing",
                "subject": "?",
                "status": "open" if first is None else "answered",
                "invoice_id": None,
                "subscription_id": None,
                "first_response_at": first,
                # What the support service stores as it records the first answer.
                "first_response_seconds": None if first is None else funnels.wait_seconds(wait),
                "closed_at": None,
                "closed_by": None,
                "updated_at": opened,
            }
        )
    with unit_of_work(factory) as session:
        bulk.insert_rows(session, CheckoutSession, sessions)
        bulk.insert_rows(session, CancellationFeedback, flows)
        bulk.insert_rows(session, SupportRequest, requests)
        counters.rebuild(session, tenant)


@pytest.mark.parametrize("seed_value", [1, 2])
def test_rebuilt_counts_read_as_row_by_row(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session], seed_value: int
) -> None:
    tenant = Tenant(merchant.account_id, livemode=False)
    story = World(api, datetime(2025, 1, 1, tzinfo=UTC), timezone="Europe/Bucharest")
    plans = [story.plan(3000), story.plan(6000)]
    customer = story.customer()
    subscription = story.subscribe(customer, plans[0])["id"]
    world = {"plans": plans, "customer": customer, "subscription": subscription}
    seed(session_factory, tenant, random.Random(seed_value), world)
    ranges = [
        (FIRST.date(), FIRST.date() + timedelta(days=300), Granularity.MONTH),
        (FIRST.date() + timedelta(days=17), FIRST.date() + timedelta(days=250), Granularity.WEEK),
        # Around the change to summer time (March 30) and back (October 26).
        (FIRST.date() + timedelta(days=20), FIRST.date() + timedelta(days=40), Granularity.DAY),
        (FIRST.date() + timedelta(days=230), FIRST.date() + timedelta(days=250), Granularity.DAY),
    ]
    checked = 0
    with unit_of_work(session_factory) as session:
        all_sessions = session.execute(
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
        for start, end, granularity in ranges:
            w = reads.window(session, tenant, start, end, granularity)
            for chosen in (None, {plans[1]}, set()):
                kept = [
                    (at, (stage, status == "complete"))
                    for at, plan, stage, status in all_sessions
                    if chosen is None or plan in chosen
                ]
                expected = [funnels.checkout_funnel(b) for b in by_instant(w, kept)]
                found = [f for _, _, f in reads.checkout(session, tenant, w, chosen)]
                assert found == expected, (start, end, granularity, chosen)
                checked += sum(f.created for f in found)
            expected_flows = [
                funnels.offer_acceptance(b)
                for b in by_instant(w, [(at, (r, o, c)) for at, r, o, c in all_flows])
            ]
            assert [o for _, _, o in reads.cancellations(session, tenant, w)] == expected_flows
            waits = [
                funnels.response_times(b)
                for b in by_instant(
                    w, [(at, None if first is None else first - at) for at, first in all_requests]
                )
            ]
            found_waits = [t for _, _, t in reads.support(session, tenant, w)]
            assert found_waits == waits, (start, end, granularity)
            checked += sum(t.answered for t in found_waits)
    assert checked > 0
