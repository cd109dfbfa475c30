"""Engagement figures for a window of days: active customers (DAU/WAU/MAU), usage per
feature with onboarding completion, and the customers at risk with their reasons. The
repository reads only the window; core/engagement.py does the arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from sqlalchemy.orm import Session

from recura.core import engagement as core
from recura.domains.common.errors import invalid
from recura.domains.common.tenant import Tenant
from recura.domains.engagement import repository
from recura.domains.engagement.schemas import (
    ActionOut,
    ActiveBucketOut,
    ActiveCustomersOut,
    AsOfOut,
    AtRiskListOut,
    AtRiskOut,
    FeaturesOut,
    FeatureUsageOut,
    OnboardingRateOut,
    ReasonOut,
)

# The widest window one request may read, so a request stays a bounded read.
MAX_DAYS = {"day": 92, "week": 53 * 7, "month": 731}
DEFAULT_DAYS = {"day": 30, "week": 12 * 7, "month": 365}
AT_RISK_LIMIT = 200
# Days outside these are nobody's activity (and near the calendar's ends, day arithmetic
# would overflow).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)


def _range(
    first: date | None, last: date | None, now: datetime, days: int, widest: int
) -> tuple[date, date]:
    for pointer, day in (("/from", first), ("/to", last)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise invalid(pointer, f"must be between {FIRST_DAY} and {LAST_DAY}")
    last = last or now.astimezone(UTC).date()
    first = first or last - timedelta(days=days - 1)
    if first > last:
        raise invalid("/from", "is after `to`")
    if (last - first).days + 1 > widest:
        raise invalid("/from", f"the range is longer than {widest} days")
    return first, last


def _ratio(value: Fraction | None) -> float | None:
    return None if value is None else round(float(value), 4)


def active_customers(
    session: Session,
    tenant: Tenant,
    granularity: core.Granularity,
    first: date | None,
    last: date | None,
    now: datetime,
) -> ActiveCustomersOut:
    """Active customers per bucket of the range, and as of its last day DAU, WAU, MAU and
    stickiness (mean DAU over the 30 days ending then, over their MAU). Each is counted
    by the database over its own window, through the (account, mode, day) index."""
    first, last = _range(first, last, now, DEFAULT_DAYS[granularity], MAX_DAYS[granularity])
    counts = repository.active_per_bucket(session, tenant, first, last, granularity)
    month_from = last - timedelta(days=core.MONTH_DAYS - 1)
    daily = repository.active_per_bucket(session, tenant, month_from, last, "day")
    mau = repository.active_between(session, tenant, month_from, last)
    wau = repository.active_between(session, tenant, last - timedelta(core.WEEK_DAYS - 1), last)
    month = [daily.get(month_from + timedelta(n), 0) for n in range(core.MONTH_DAYS)]
    return ActiveCustomersOut.model_validate(
        {
            "granularity": granularity,
            "from": first,
            "to": last,
            "data": [
                ActiveBucketOut(start=b.start, end=b.end, active_customers=b.active)
                for b in core.buckets(counts, first, last, granularity)
            ],
            "as_of": AsOfOut(day=last, dau=daily.get(last, 0), wau=wau, mau=mau),
            "stickiness": _ratio(core.stickiness(month, mau)),
        }
    )


def features(
    session: Session, tenant: Tenant, first: date | None, last: date | None, now: datetime
) -> FeaturesOut:
    first, last = _range(first, last, now, 30, MAX_DAYS["day"])
    rows = repository.feature_uses(session, tenant, first, last)
    usage = core.feature_usage(rows)
    done = core.onboarding(_onboarding_progress(session, tenant))
    return FeaturesOut.model_validate(
        {
            "from": first,
            "to": last,
            "active_customers": len({c for c, _, _ in rows}),
            "data": [
                FeatureUsageOut(feature=u.feature or None, customers=u.customers, uses=u.uses)
                for u in usage
            ],
            "onboarding": OnboardingRateOut(
                customers=done.customers,
                completed=done.completed,
                rate=_ratio(done.rate),
                step_rate=_ratio(done.step_rate),
            ),
        }
    )


def _onboarding_progress(session: Session, tenant: Tenant) -> list[tuple[int, int]]:
    """(steps to do, steps done) of each live subscriber: the steps for everyone, and those
    of its plans and products (as domains/onboarding/guide.py shows them)."""
    steps = repository.onboarding_steps(session, tenant)
    if not steps:
        return []
    plans: dict[str, set[str]] = {}
    products: dict[str, set[str]] = {}
    for customer, plan, product in repository.live_subscribers(session, tenant):
        plans.setdefault(customer, set()).add(plan)
        products.setdefault(customer, set()).add(product)
    done = repository.completed_steps(session, tenant, [s for s, _, _ in steps])
    progress = []
    for customer in plans:
        mine = [
            step
            for step, plan, product in steps
            if (plan is None and product is None)
            or plan in plans[customer]
            or product in products[customer]
        ]
        progress.append((len(mine), sum((customer, s) in done for s in mine)))
    return progress


def at_risk(
    session: Session,
    tenant: Tenant,
    now: datetime,
    drop: Fraction = core.DEFAULT_DROP,
    limit: int = AT_RISK_LIMIT,
) -> AtRiskListOut:
    today = now.astimezone(UTC).date()
    split = today - timedelta(days=core.RECENT_DAYS - 1)
    first = split - timedelta(days=core.BEFORE_DAYS)
    before, recent = repository.days_before_and_since(session, tenant, first, split, today)
    failed = repository.failed_payments(session, tenant, now)
    ending = {
        c: at.astimezone(UTC).date()
        for c, at in repository.scheduled_cancellations(session, tenant).items()
    }
    found = core.at_risk(recent, before, failed, ending, drop)
    shown = found[:limit]
    names = repository.customers_named(session, tenant, [r.customer for r in shown])
    return AtRiskListOut(
        as_of=today,
        data=[_risk_out(r, *names.get(r.customer, (None, None))) for r in shown],
        has_more=len(found) > limit,
    )


def _risk_out(risk: core.AtRisk, name: str | None, email: str | None) -> AtRiskOut:
    reasons = []
    for reason in risk.reasons:
        if isinstance(reason, core.CancellationScheduled):
            reasons.append(ReasonOut(code=reason.code, cancels_on=reason.on))
        elif isinstance(reason, core.PaymentFailed):
            reasons.append(ReasonOut(code=reason.code, invoices=reason.invoices))
        else:
            reasons.append(
                ReasonOut(
                    code=reason.code,
                    active_days_per_week_before=_ratio(reason.before_per_week),
                    active_days_per_week_recent=_ratio(reason.recent_per_week),
                )
            )
    actions = {
        "customer": ActionOut(method="GET", path=f"/v1/customers/{risk.customer}"),
        "portal_session": ActionOut(
            method="POST", path="/v1/portal_sessions", body={"customer": risk.customer}
        ),
    }
    return AtRiskOut(
        customer=risk.customer,
        name=name,
        email=email,
        score=risk.score,
        reasons=reasons,
        actions=actions,
    )
