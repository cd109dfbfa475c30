"""The demo's acquisition and engagement: where each customer came from, what was spent on
each channel in each of the twelve months, and the days its subscribers used the product,
a few of them less and less lately (so the at-risk list has someone on it)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from recura.db.models import Subscription
from recura.domains.acquisition import repository as spend_repository
from recura.domains.acquisition.repository import SpendRow
from recura.domains.common.tenant import Tenant
from recura.domains.engagement import repository as activity_repository
from recura.domains.engagement.repository import ActivityRow
from recura.domains.subscriptions import repository as subscriptions_repository

SEED = 20251207
# Channel: (how often a customer came by it, its utm fields, monthly spend in RON bani).
CHANNELS: dict[str, tuple[int, dict[str, str], int]] = {
    "organic": (30, {"utm_source": "google", "utm_medium": "organic"}, 0),
    "google_ads": (22, {"utm_source": "google", "utm_medium": "cpc"}, 450_000),
    "newsletter": (14, {"utm_source": "newsletter", "utm_medium": "email"}, 60_000),
    "referral": (14, {"utm_source": "partners", "utm_medium": "referral"}, 120_000),
    "paid_social": (8, {"utm_source": "linkedin", "utm_medium": "paid"}, 250_000),
    "pricing_page": (8, {}, 0),
    "direct": (4, {}, 0),
}
FEATURES = {"dashboard": 40, "reports": 25, "invoices_export": 15, "integrations": 12, "": 8}
STATUSES = ("trialing", "active", "past_due", "paused", "canceled", "incomplete")
# Within the last six weeks activity is daily-ish; before, a few days a month is enough
# for the monthly figures and keeps the demo's rows (and its loading time) small.
RECENT = timedelta(days=42)
FADING_EVERY = 8


def acquisition(rng: random.Random) -> tuple[str, dict[str, str]]:
    """A channel and its utm fields, as a checkout would have recorded them."""
    channel = rng.choices(list(CHANNELS), weights=[w for w, _, _ in CHANNELS.values()])[0]
    return channel, dict(CHANNELS[channel][1])


def spend(session: Session, tenant: Tenant, now: datetime) -> None:
    """Twelve months of spend on the paid channels, in RON, each month a little different."""
    rng = random.Random(SEED)  # noqa: S311 - made-up demo data, not secrets
    month = date(now.year, now.month, 1)
    rows = []
    for _ in range(12):
        month = (month - timedelta(days=1)).replace(day=1)
        for channel, (_, _, monthly) in CHANNELS.items():
            if monthly:
                amount = round(monthly * rng.uniform(0.7, 1.3) / 100) * 100
                rows.append(SpendRow(month, channel, "RON", amount, None))
    spend_repository.upsert(session, tenant, rows, now)


def activity(session: Session, tenant: Tenant, clock_id: str, now: datetime) -> None:
    """Days of use for every subscriber, from its subscription's start until it ended (or
    now); one in eight of those still subscribed have nearly stopped in the last 14 days."""
    rng = random.Random(SEED + 1)  # noqa: S311 - made-up demo data
    today = now.astimezone(UTC).date()
    spans: dict[str, tuple[date, date]] = {}
    for sub in subscriptions_repository.on_test_clock(session, tenant, clock_id, STATUSES):
        spans[sub.customer_id] = _span(sub, today, spans.get(sub.customer_id))
    features = list(FEATURES)
    weights = list(FEATURES.values())
    rows: list[ActivityRow] = []
    subscribed = 0
    for customer_id in sorted(spans):
        first, last = spans[customer_id]
        # Every eighth of those still subscribed, so even a small demo has some.
        fading = last == today and subscribed % FADING_EVERY == FADING_EVERY // 2
        subscribed += last == today
        habit = rng.uniform(0.5, 0.9)  # how many days a week this customer comes
        day = first
        while day <= last:
            age = today - day
            chance = habit if age < RECENT else habit * 0.15
            if fading and age.days < 14:
                chance = 0.04
            if rng.random() < chance:
                feature = rng.choices(features, weights)[0]
                at = datetime(day.year, day.month, day.day, rng.randint(7, 20), tzinfo=UTC)
                rows.append(ActivityRow(customer_id, day, feature, rng.randint(1, 25), at))
            day += timedelta(days=1)
    activity_repository.record(session, tenant, rows, now)


def _span(sub: Subscription, today: date, known: tuple[date, date] | None) -> tuple[date, date]:
    first = sub.created_at.astimezone(UTC).date()
    ended = sub.ended_at or sub.canceled_at
    last = today if ended is None else min(today, ended.astimezone(UTC).date())
    if known is not None:
        first, last = min(first, known[0]), max(last, known[1])
    return first, last
