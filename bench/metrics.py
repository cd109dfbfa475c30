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
before: a start at a random day, for some an upgrade and a later downgrade, churn at 3 % a
month, a fifth of the churned coming back, and acquisition spend per channel and month;
the customers are spread over four acquisition channels and five countries.

Reports, each beside a baseline measured in the same run:
- the full recomputation (`rollups.rebuild` and the fold from the start of the log)
  against one SQL statement summing the same events per customer and day (a floor: it
  classifies nothing and writes nothing);
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
from recura.db import bulk
from recura.db.engine import make_engine, make_session_factory
from recura.db.migrate import upgrade
from recura.db.models import AcquisitionSpend, Event, Subscription
from recura.db.unit_of_work import unit_of_work
from recura.domains.accounts import service as accounts
from recura.domains.common.tenant import Tenant
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


def history(
    rng: random.Random, sub: str, customer: str, plan: str, now: datetime
) -> list[tuple[datetime, str, int, str]]:
    """One subscription's MRR events over the 24 months before `now`: (when, type, delta,
    status after)."""
    start = now - timedelta(days=rng.uniform(30, 730))
    found = [(start, "subscription.created", PRICE, "active")]
    mrr, at = PRICE, start
    if rng.random() < 0.2:
        at = at + timedelta(days=rng.uniform(20, 200))
        found.append((at, "subscription.updated", PRICE, "active"))
        mrr += PRICE
        if rng.random() < 0.3:
            at = at + timedelta(days=rng.uniform(20, 200))
            found.append((at, "subscription.updated", -PRICE // 2, "active"))
            mrr -= PRICE // 2
    month = 0
    while True:
        at = at + timedelta(days=30)
        month += 1
        if at >= now:
            break
        if rng.random() < 0.03:
            found.append((at, "subscription.canceled", -mrr, "canceled"))
            if rng.random() < 0.2:
                back = at + timedelta(days=rng.uniform(10, 120))
                if back < now:
                    found.append((back, "subscription.updated", PRICE, "active"))
                    mrr, at = PRICE, back
                    continue
            break
    return [e for e in found if e[0] < now]


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
    for sub, customer, plan in subs:
        for at, kind, delta, status in history(rng, sub, customer, plan, now):
            events.append((at, kind, delta, status, sub, customer, plan))
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
                    "status": status,
                    "cancel_at_period_end": False,
                    "mrr": 0,
                },
                "mrr_delta": delta,
                "mrr_currency": "RON",
                "occurred_at": at,
                "dispatched_at": at,
                "actor_kind": "system",
                "actor_id": None,
                "actor_label": "system",
            }
            for (at, kind, delta, status, sub, customer, plan), event_id in zip(
                part, ids.new_ids("event", len(part)), strict=True
            )
        ]
        with unit_of_work(factory) as session:
            bulk.insert_rows(session, Event, rows)
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


def fold_everything(factory: sessionmaker[Session]) -> int:
    done = 0
    while True:
        with unit_of_work(factory) as session:
            count = rollups.fold_events(session)
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

        with unit_of_work(factory) as session:
            key = accounts.issue_key(session, account, False, "bench", SECRET.encode(), now)
        settings = Settings(database_url=url, secret_key=SECRET)  # type: ignore[arg-type]
        app = create_app(settings, clock=FixedClock(now), engine=engine)
        today = now.date()
        year_ago = (today - timedelta(days=365)).replace(day=1)
        two_years = (today - timedelta(days=730)).replace(day=1)
        month = today.replace(day=1)
        year = {"start": year_ago.isoformat(), "end": today.isoformat()}
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
            "mrr_movements, 1 month": (
                "/v1/metrics/mrr_movements",
                {"start": month.isoformat(), "end": today.isoformat()},
            ),
            "subscribers": ("/v1/metrics/subscribers", {}),
            "churn, 12 months": ("/v1/metrics/churn", year),
            "churn, 12 months, channel": ("/v1/metrics/churn", {**year, "channel": "newsletter"}),
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
