"""Revenue metrics at scale on PostgreSQL: N subscriptions with 24 months of MRR history,
the full recomputation of the rollups, every /v1/metrics endpoint's p95 and the
dashboard's, and how far the rollups lag behind a renewal pass.

    .venv/bin/python bench/metrics.py [--subscriptions 10000] [--requests 20]
        [--renewals 100000] [--seeded recura_bench_metrics_1m]

`--renewals` makes only that many of the subscriptions due (default: every one whose
history ends active at the plan's price);
`--seeded NAME` keeps the seeded database as NAME, and a later run with the same NAME
starts from a copy of it instead of seeding again (a million takes a while).

Creates its own database on the server of RECURA_BENCH_PG_ADMIN (default: the test
server's `test` database) and drops it at the end. Seeds (COPY) an account whose N
subscriptions are due for renewal, each with a history of MRR events over the 24 months
before: a start at a random day, a third after a 14-day trial, for some an upgrade and a
later downgrade, failed renewals (4 % a month, 60 % of them recovered, the rest canceled
when retries run out), churn at 3 % a month, a fifth of the churned coming back, and
acquisition spend per channel and month; and what the funnel metrics read besides the
events: the checkout sessions (each subscription's, and a third as many abandoned), a
cancellation flow with a reason for each cancellation asked for, and support requests
(one for half of the subscriptions, most answered within hours).
The customers are spread over four acquisition channels and five countries.

Reports, each beside a baseline measured in the same run:
- the full recomputation (`rollups.rebuild` and the fold from the start of the log)
  against one SQL statement summing the same events per customer and day (a floor: it
  classifies nothing and writes nothing), and the funnel rollups' rebuild and fold from
  the start (with the daily checkout, cancellation and support counts, whose rows it
  counts);
- each endpoint's p50/p95 over `--requests` calls through the app (TestClient, in this
  process), and the dashboard's reads, against GET /v1/account (a request that reads one
  row);
- the renewal pass (the worker's billing handler over the due subscriptions) and then
  the time the fold takes to take in what it wrote: the lag of the rollups behind it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from common import database, database_exists, keep_copy
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from recura import ids
from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings
from recura.core.funnels import CHECKOUT_STAGES, wait_seconds
from recura.db import bulk
from recura.db.base import Base
from recura.db.engine import make_engine, make_session_factory
from recura.db.migrate import upgrade
from recura.db.models import (
    AcquisitionSpend,
    CancellationFeedback,
    CheckoutSession,
    Event,
    Plan,
    Subscription,
    SupportRequest,
)
from recura.db.unit_of_work import unit_of_work
from recura.domains.accounts import service as accounts
from recura.domains.common.tenant import Tenant
from recura.domains.funnels import rollups as funnel_rollups
from recura.domains.metrics import reads, rollups
from recura.domains.metrics.reads import Granularity
from recura.jobs.worker import run_until_idle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import SECRET
from tests.factories import seed_due_subscriptions

PRICE = 4900
CHANNELS = ("google_ads", "newsletter", "organic", "referral")
COUNTRIES = ("RO", "DE", "FR", "IT", "ES")
CHUNK = 50_000


# An event's payload beyond the ids: status, previous status, MRR after it, and the
# change or end reason the funnel metrics read.
Made = tuple[datetime, str, int, dict[str, Any]]
REASONS = ("too_expensive", "missing_features", "switched_service", "unused", None)
OUTCOMES = ("accepted", "declined", "declined", "pending")


def history(rng: random.Random, now: datetime) -> list[Made]:
    """One subscription's events over the 24 months before `now`: (when, type, MRR delta,
    payload). A third start with a 14-day trial (most then pay; some fail their first
    charge, some leave); renewals fail 4 % of the time, and 60 % of those are recovered
    within ten days, the rest canceled when retries run out; 3 % a month leave."""
    start = now - timedelta(days=rng.uniform(30, 730))
    mrr, status = 0, None
    found: list[Made] = []

    def emit(at: datetime, kind: str, new_mrr: int, new: str | None, **extra: Any) -> None:
        nonlocal mrr, status
        payload = {"status": new, "previous_status": status, "mrr": new_mrr, **extra}
        found.append((at, kind, new_mrr - mrr, payload))
        mrr, status = new_mrr, new

    at = start
    if rng.random() < 1 / 3:
        emit(at, "subscription.created", 0, "trialing")
        at += timedelta(days=14)
        ending = rng.random()
        if ending < 0.75:
            emit(at, "subscription.updated", PRICE, "active", change="trial_ended")
        elif ending < 0.9:
            emit(at, "subscription.past_due", PRICE, "past_due", change="trial_ended")
            if rng.random() < 0.5:
                at += timedelta(days=rng.uniform(1, 10))
                emit(at, "subscription.updated", PRICE, "active", change="payment_recovered")
            else:
                at += timedelta(days=15)
                emit(at, "subscription.canceled", 0, "canceled", reason="retries_exhausted")
                return [e for e in found if e[0] < now]
        else:
            emit(at, "subscription.canceled", 0, "canceled", reason="trial_end")
            return [e for e in found if e[0] < now]
    else:
        emit(at, "subscription.created", PRICE, "active")
    if rng.random() < 0.2:
        at = at + timedelta(days=rng.uniform(20, 200))
        emit(at, "subscription.updated", mrr + PRICE, "active", change="change_applied")
        if rng.random() < 0.3:
            at = at + timedelta(days=rng.uniform(20, 200))
            emit(at, "subscription.updated", mrr - PRICE // 2, "active", change="change_applied")
    month = 0
    while True:
        at = at + timedelta(days=30)
        month += 1
        if at >= now:
            break
        if rng.random() < 0.04:
            emit(at, "subscription.past_due", mrr, "past_due")
            if rng.random() < 0.6:
                at += timedelta(days=rng.uniform(1, 10))
                emit(at, "subscription.updated", mrr, "active", change="payment_recovered")
            else:
                at += timedelta(days=15)
                emit(at, "subscription.canceled", 0, "canceled", reason="retries_exhausted")
                break
        if rng.random() < 0.03:
            emit(at, "subscription.canceled", 0, "canceled", reason="requested")
            if rng.random() < 0.2:
                back = at + timedelta(days=rng.uniform(10, 120))
                if back < now:
                    emit(back, "subscription.updated", PRICE, "active", change="reactivated")
                    at = back
                    continue
            break
    return [e for e in found if e[0] < now]


def funnel_rows(
    rng: random.Random,
    account: str,
    sub: str,
    customer: str,
    plan: str,
    made: list[Made],
    now: datetime,
) -> dict[type[Base], list[dict[str, Any]]]:
    """What the subscription's history left besides events: the checkout session that
    started it and one in three abandoned at some stage before, a cancellation flow for
    each time it canceled itself (a retention offer shown on the first), and, for half of
    the subscriptions, a support request, most answered within hours."""
    keys = {"account_id": account, "livemode": False}
    start = made[0][0]
    found: dict[type[Base], list[dict[str, Any]]] = defaultdict(list)
    sessions = [(start - timedelta(minutes=rng.uniform(3, 30)), "confirmed", sub)]
    if rng.random() < 1 / 3:
        stage = rng.choice((None, *CHECKOUT_STAGES[:-1]))
        sessions.append((start - timedelta(hours=rng.uniform(1, 72)), stage, None))
    for created, stage, made_sub in sessions:
        found[CheckoutSession].append(checkout_row(keys, plan, customer, created, stage, made_sub))
    offered = False
    for at, kind, _, payload in made:
        if kind != "subscription.canceled" or payload.get("reason") != "requested":
            continue
        outcome = rng.choice(OUTCOMES) if not offered else "not_offered"
        found[CancellationFeedback].append(
            {
                **keys,
                "id": ids.new_id("cancellation_feedback"),
                "created_at": at - timedelta(minutes=2),
                "subscription_id": sub,
                "customer_id": customer,
                "reason": rng.choice(REASONS),
                "reason_text": None,
                "offer_kind": None if outcome == "not_offered" else "coupon",
                "offer": None,
                "outcome": outcome,
                "canceled": outcome != "accepted",
                "access_ends_at": None,
                "answered_at": None if outcome in ("pending", "not_offered") else at,
                "updated_at": at,
            }
        )
        offered = True
    if rng.random() < 0.5:
        opened = start + (now - start) * rng.random()
        answered = opened + timedelta(hours=rng.expovariate(1 / 5))
        first = answered if rng.random() < 0.85 and answered < now else None
        found[SupportRequest].append(
            {
                **keys,
                "id": ids.new_id("support_request"),
                "created_at": opened,
                "customer_id": customer,
                "category": "billing",
                "subject": "A question about my invoice",
                "status": "open" if first is None else "answered",
                "invoice_id": None,
                "subscription_id": sub,
                "first_response_at": first,
                "first_response_seconds": None if first is None else wait_seconds(first - opened),
                "closed_at": None,
                "closed_by": None,
                "updated_at": first or opened,
            }
        )
    return found


def checkout_row(
    keys: dict[str, Any],
    plan: str,
    customer: str,
    created: datetime,
    stage: str | None,
    sub: str | None,
) -> dict[str, Any]:
    reached = CHECKOUT_STAGES[: CHECKOUT_STAGES.index(stage) + 1] if stage else ()
    return {
        **keys,
        "id": ids.new_id("checkout_session"),
        "created_at": created,
        "plan_id": plan,
        "quantity": 1,
        "add_ons": [],
        "coupon_id": None,
        "allow_promotion_codes": False,
        "promotion_code_id": None,
        "customer_id": customer,
        "customer_given": False,
        "customer_email": None,
        "locale": "ro",
        "currency": "RON",
        "success_url": None,
        "cancel_url": None,
        "metadata": {},
        "acquisition": {},
        "status": "complete" if sub else "expired",
        "stage": stage,
        **{f"{name}_at": created for name in reached},
        **{f"{name}_at": None for name in CHECKOUT_STAGES if name not in reached},
        "details": None,
        "terms_accepted_at": created if sub else None,
        "last_error": None,
        "subscription_id": sub,
        "expires_at": created + timedelta(hours=24),
        "completed_at": created if sub else None,
        "updated_at": created,
    }


def seed(factory: sessionmaker[Session], count: int, now: datetime) -> tuple[str, int]:
    """The account, its due subscriptions and their histories; (account id, events)."""
    end = now - timedelta(hours=1)
    account = seed_due_subscriptions(factory, count, (end - timedelta(days=30), end), metered=False)
    rng = random.Random(18)  # noqa: S311 (seeded, made-up data)
    with unit_of_work(factory) as session:
        subs = session.execute(
            select(Subscription.id, Subscription.customer_id, Subscription.plan_id).where(
                Subscription.account_id == account
            )
        ).all()
        for channel_index, channel in enumerate(CHANNELS):
            session.execute(
                text(
                    "UPDATE customers SET acquisition_channel = :channel "
                    "WHERE account_id = :account AND abs(hashtext(id)) % 4 = :n"
                ),
                {"channel": channel, "account": account, "n": channel_index},
            )
        for country_index, country in enumerate(COUNTRIES):
            session.execute(
                text(
                    "UPDATE customers SET country = :country "
                    "WHERE account_id = :account AND abs(hashtext(id || 'country')) % 5 = :n"
                ),
                {"country": country, "account": account, "n": country_index},
            )
        spend = []
        for k in range(24):
            month = date(now.year, now.month, 1) - timedelta(days=31 * k)
            for channel in CHANNELS:
                spend.append(
                    {
                        "account_id": account,
                        "id": ids.new_id("acquisition_spend"),
                        "livemode": False,
                        "created_at": now,
                        "month": month.replace(day=1),
                        "channel": channel,
                        "amount": rng.randint(100_000, 2_000_000),
                        "currency": "RON",
                        "note": None,
                        "updated_at": now,
                    }
                )
        bulk.insert_rows(session, AcquisitionSpend, spend)
    events = []
    others: dict[type[Base], list[dict[str, Any]]] = defaultdict(list)
    for sub, customer, plan in subs:
        made = history(rng, now)
        for at, kind, delta, payload in made:
            events.append((at, kind, delta, payload, sub, customer, plan))
        for model, rows in funnel_rows(rng, account, sub, customer, plan, made, now).items():
            others[model].extend(rows)
    events.sort(key=lambda e: e[0])  # ids in the order the events happened, as Recura's are
    for index in range(0, len(events), CHUNK):
        part = events[index : index + CHUNK]
        rows = [
            {
                "account_id": account,
                "id": event_id,
                "livemode": False,
                "created_at": at,
                "type": kind,
                "object_id": sub,
                "data": {
                    "id": sub,
                    "customer": customer,
                    "plan": plan,
                    "cancel_at_period_end": False,
                    **payload,
                },
                "mrr_delta": delta,
                "mrr_currency": "RON",
                "occurred_at": at,
                "dispatched_at": at,
                "actor_kind": "system",
                "actor_id": None,
                "actor_label": "system",
            }
            # Sorted: ids made in one call share their millisecond, and the funnel fold
            # reads a subscription's events in id order.
            for (at, kind, delta, payload, sub, customer, plan), event_id in zip(
                part, sorted(ids.new_ids("event", len(part))), strict=True
            )
        ]
        with unit_of_work(factory) as session:
            bulk.insert_rows(session, Event, rows)
    for model, rows in others.items():
        for index in range(0, len(rows), CHUNK):
            with unit_of_work(factory) as session:
                bulk.insert_rows(session, model, rows[index : index + CHUNK])
    with factory() as session:
        session.execute(text("ANALYZE"))
        session.commit()
    return account, len(events)


def seeded_account(factory: sessionmaker[Session]) -> tuple[str, int]:
    """The account and the number of MRR events of a database seeded by an earlier run."""
    with factory() as session:
        account = session.scalar(text("SELECT account_id FROM subscriptions LIMIT 1"))
        events = session.scalar(text("SELECT count(*) FROM events WHERE mrr_delta IS NOT NULL"))
    return str(account), int(events or 0)


def due_only(factory: sessionmaker[Session], account: str, count: int | None) -> None:
    """Leave due (up to `count` of) the subscriptions whose history ends where their
    renewal starts: active at the plan's price, as a real log's last event leaves a
    subscription. The others (the history churned or moved them, which the seeded rows
    do not follow) have their next action moved a month and a half on: renewing them
    would fold made-up reactivations and contractions."""
    with unit_of_work(factory) as session:
        session.execute(
            text(
                "UPDATE subscriptions SET next_action_at = next_action_at + interval '45 days' "
                "WHERE account_id = :account AND id NOT IN (SELECT object_id FROM events "
                "WHERE account_id = :account AND type <> 'subscription.renewed' "
                "GROUP BY object_id HAVING sum(mrr_delta) = :price "
                "ORDER BY object_id LIMIT :count)"
            ),
            {"account": account, "count": count, "price": PRICE},
        )


def fold_everything(
    factory: sessionmaker[Session], fold: Callable[[Session], int] = rollups.fold_events
) -> int:
    done = 0
    while True:
        with unit_of_work(factory) as session:
            count = fold(session)
        done += count
        if count == 0:
            return done


def timed(call: Callable[[], Any], times: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds of `times` calls (nearest rank)."""
    took = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    return statistics.median(took), took[max(0, round(0.95 * len(took)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--renewals", type=int, default=None)
    parser.add_argument("--seeded", default=None)
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    template = args.seeded if args.seeded and database_exists(args.seeded) else None
    with database("metrics", template) as plain_url:
        url = plain_url.replace("postgresql://", "postgresql+psycopg://")
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        started = time.perf_counter()
        if template is None:
            account, events = seed(factory, args.subscriptions, now)
            print(
                f"seeded {args.subscriptions:,} subscriptions, {events:,} MRR events over 24 "
                f"months in {time.perf_counter() - started:.1f} s"
            )
            if args.seeded:
                engine.dispose()
                keep_copy(plain_url, args.seeded)
        else:
            account, events = seeded_account(factory)
            # The history's dates are the seeding run's; the requests ask about its days.
            with factory() as session:
                seeded_at = session.scalar(text("SELECT max(created_at) FROM acquisition_spend"))
            now = seeded_at if seeded_at.tzinfo else seeded_at.replace(tzinfo=UTC)
            print(f"copied {template}: {events:,} MRR events")
        with factory() as session:
            tables = ("checkout_sessions", "cancellation_feedback", "support_requests")
            funnel_counts = {
                t: session.scalar(text(f"SELECT count(*) FROM {t}"))  # noqa: S608 (fixed names)
                for t in tables
            }
        print("funnel rows: " + ", ".join(f"{n:,} {t}" for t, n in funnel_counts.items()))

        with factory() as session:
            started = time.perf_counter()
            session.execute(
                text(
                    "SELECT account_id, data->>'customer', date(occurred_at), sum(mrr_delta) "
                    "FROM events WHERE mrr_delta <> 0 GROUP BY 1, 2, 3"
                )
            ).all()
            floor = time.perf_counter() - started
        started = time.perf_counter()
        with unit_of_work(factory) as session:
            rollups.rebuild(session)
        folded = fold_everything(factory)
        recompute = time.perf_counter() - started
        started = time.perf_counter()
        with unit_of_work(factory) as session:
            funnel_rollups.rebuild(session)
        funnel_events = fold_everything(factory, funnel_rollups.fold_events)
        funnel_fold = time.perf_counter() - started
        with factory() as session:
            movements = session.scalar(text("SELECT count(*) FROM mrr_movements"))
            # What autovacuum does after a bulk write: the planner needs the rollups' sizes.
            session.execute(text("ANALYZE"))
            session.commit()
        print(
            f"full recomputation: {recompute:.1f} s for {folded:,} events "
            f"({movements:,} customer-day movements); floor, one GROUP BY over the same "
            f"events: {floor:.2f} s; ratio {recompute / floor:.0f}x"
        )
        print(
            f"funnel rollups from the start: {funnel_fold:.1f} s for {funnel_events:,} "
            "subscription events"
        )
        with factory() as session:
            daily = ("metric_checkout_daily", "metric_cancellations_daily", "metric_support_daily")
            daily_counts = {
                t: session.scalar(text(f"SELECT count(*) FROM {t}"))  # noqa: S608 (fixed names)
                for t in daily
            }
        # What the checkout, cancellations and support reads take instead of the rows above.
        print("daily counts (rebuilt): " + ", ".join(f"{n:,} {t}" for t, n in daily_counts.items()))

        with unit_of_work(factory) as session:
            key = accounts.issue_key(session, account, False, "bench", SECRET.encode(), now)
        settings = Settings(database_url=url, secret_key=SECRET)  # type: ignore[arg-type]
        app = create_app(settings, clock=FixedClock(now), engine=engine)
        today = now.date()
        year_ago = (today - timedelta(days=365)).replace(day=1)
        two_years = (today - timedelta(days=730)).replace(day=1)
        month = today.replace(day=1)
        year = {"start": year_ago.isoformat(), "end": today.isoformat()}
        with unit_of_work(factory) as session:
            plan, product = session.execute(
                select(Plan.id, Plan.product_id).where(Plan.account_id == account).limit(1)
            ).one()
        paths = {
            "account (baseline)": ("/v1/account", {}),
            "mrr, 24 months": (
                "/v1/metrics/mrr",
                {"start": two_years.isoformat(), "end": today.isoformat()},
            ),
            "mrr, 24 months, country": (
                "/v1/metrics/mrr",
                {"start": two_years.isoformat(), "end": today.isoformat(), "country": "DE"},
            ),
            "mrr, 24 months, plan": (
                "/v1/metrics/mrr",
                {"start": two_years.isoformat(), "end": today.isoformat(), "plan": plan},
            ),
            "mrr_movements, 1 month": (
                "/v1/metrics/mrr_movements",
                {"start": month.isoformat(), "end": today.isoformat()},
            ),
            "subscribers": ("/v1/metrics/subscribers", {}),
            "churn, 12 months": ("/v1/metrics/churn", year),
            "churn, 12 months, channel": ("/v1/metrics/churn", {**year, "channel": "newsletter"}),
            "churn, 12 months, weekly": ("/v1/metrics/churn", {**year, "granularity": "week"}),
            "churn, 12 months, daily": ("/v1/metrics/churn", {**year, "granularity": "day"}),
            "churn, 12 months, product": ("/v1/metrics/churn", {**year, "product": product}),
            "ltv, 12 months": ("/v1/metrics/ltv", year),
            "ltv, 12 months, channel": ("/v1/metrics/ltv", {**year, "channel": "newsletter"}),
            "cac, 12 months": ("/v1/metrics/cac", year),
            "cohorts, 24 months": (
                "/v1/metrics/cohorts",
                {"start": two_years.isoformat(), "end": today.isoformat()},
            ),
            "cohorts, 24 months, channel": (
                "/v1/metrics/cohorts",
                {"start": two_years.isoformat(), "end": today.isoformat(), "channel": "organic"},
            ),
            "trials, 12 months": ("/v1/metrics/trials", year),
            "checkout, 12 months": ("/v1/metrics/checkout", year),
            "dunning, 12 months": ("/v1/metrics/dunning", year),
            "churn_kinds, 12 months": ("/v1/metrics/churn_kinds", year),
            "cancellations, 12 months": ("/v1/metrics/cancellations", year),
            "support, 12 months": ("/v1/metrics/support", year),
        }
        tenant = Tenant(account, False)
        headers = {"Authorization": f"Bearer {key.token}"}
        with TestClient(app) as client:
            results = {}
            for name, (path, params) in paths.items():
                answer = client.get(path, params=params, headers=headers)
                if answer.status_code != 200:
                    raise SystemExit(f"{path}: {answer.status_code} {answer.text[:300]}")
                results[name] = timed(
                    lambda path=path, params=params: client.get(
                        path, params=params, headers=headers
                    ),
                    args.requests,
                )

            def dashboard() -> None:
                # What /console reads: twelve months of MRR and the subscribers by status.
                with unit_of_work(factory) as session:
                    reads.mrr(session, tenant, year_ago, today, Granularity.MONTH, "RON")
                    reads.subscribers_by_status(session, tenant, "RON")

            results["dashboard reads"] = timed(dashboard, args.requests)
        base = results["account (baseline)"][1]
        print(f"\n{'endpoint':32} {'p50 ms':>9} {'p95 ms':>9} {'p95/baseline':>13}")
        for name, (p50, p95) in results.items():
            print(f"{name:32} {p50:9.1f} {p95:9.1f} {p95 / base:12.1f}x")

        due_only(factory, account, args.renewals)
        started = time.perf_counter()
        run_until_idle(factory, FixedClock(now), only={"billing"})
        renewal = time.perf_counter() - started
        with factory() as session:
            renewed = session.scalar(
                text("SELECT count(*) FROM events WHERE type = 'subscription.renewed'")
            )
        started = time.perf_counter()
        caught_up = fold_everything(factory)
        lag = time.perf_counter() - started
        print(
            f"\nrenewal pass: {renewed:,} renewals in {renewal:.1f} s; the fold then took "
            f"{lag:.2f} s to take in what it wrote ({caught_up:,} events carrying MRR terms) "
            f"— lag/pass {lag / renewal:.3f}"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
