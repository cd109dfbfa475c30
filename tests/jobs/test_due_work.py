"""The billing clock: due subscriptions are found, renewed once, and an outage does not
burst out a pile of catch-up invoices unless the account asks for them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.engine import make_engine, make_session_factory
from recura.db.migrate import upgrade
from recura.db.unit_of_work import unit_of_work
from recura.domains.subscriptions import due, service
from recura.jobs import due_work
from recura.jobs.worker import run_once
from tests.conftest import T0, Api
from tests.factories import seed_due_subscriptions


def setup(api: Api, count: int = 3, **account: Any) -> list[str]:
    api.ok(
        "PATCH",
        "/v1/account",
        json={"timezone": "UTC", "tax_rate": "21", "vat_registered": True, **account},
    )
    product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
    plan = api.ok(
        "POST",
        "/v1/plans",
        201,
        json={
            "product": product,
            "code": "pro",
            "name": "Pro",
            "pricing_model": "flat",
            "prices": [{"currency": "RON", "amount": 3000}],
        },
    )["id"]
    subs = []
    for n in range(count):
        customer = api.ok("POST", "/v1/customers", 201, json={"name": f"C{n}"})["id"]
        body = {"customer": customer, "plan": plan}
        subs.append(api.ok("POST", "/v1/subscriptions", 201, json=body)["id"])
    return subs


def invoices(api: Api, sub: str) -> list[dict[str, Any]]:
    found = api.ok("GET", "/v1/invoices", params={"subscription": sub})["data"]
    return list(reversed(found))


def test_worker_renews_each_due_subscription_once(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    subs = setup(api)
    # T0 is Jan 15, 09:30 UTC: the first renewal is due on Feb 15. (Other tests' rows share
    # the database, so counts are read from this account's invoices, not the worker's tally.)
    run_once(session_factory, FixedClock(T0 + timedelta(days=30)))
    assert [len(invoices(api, sub)) for sub in subs] == [1, 1, 1]
    later = FixedClock(T0 + timedelta(days=31))
    run_once(session_factory, later)
    run_once(session_factory, later)
    for sub in subs:
        found = invoices(api, sub)
        assert [i["period_start"] for i in found] == [
            "2026-01-15T09:30:00Z",
            "2026-02-15T09:30:00Z",
        ]


def test_after_an_outage_only_the_current_period_is_billed(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    (sub,) = setup(api, 1)
    # Down from before Feb 15 until Apr 20: Feb 15 and Mar 15 were missed.
    run_once(session_factory, FixedClock(T0 + timedelta(days=95)))
    found = invoices(api, sub)
    assert [i["period_start"] for i in found] == [
        "2026-01-15T09:30:00Z",
        "2026-04-15T09:30:00Z",
    ]
    renewed = api.ok("GET", "/v1/events", params={"type": "subscription.renewed"})["data"]
    assert renewed[0]["data"]["skipped_periods"] == 2


def test_every_missed_period_when_the_account_says_so(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    (sub,) = setup(api, 1, catch_up="every_period")
    run_once(session_factory, FixedClock(T0 + timedelta(days=95)))
    assert [i["period_start"] for i in invoices(api, sub)] == [
        "2026-01-15T09:30:00Z",
        "2026-02-15T09:30:00Z",
        "2026-03-15T09:30:00Z",
        "2026-04-15T09:30:00Z",
    ]


def test_one_failing_subscription_does_not_stop_the_batch(
    api: Api, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    subs = setup(api)
    broken = subs[1]
    real = service.period_coupon

    def period_coupon(session: Session, tenant: Any, sub: Any, **kwargs: Any) -> Any:
        if sub.id == broken:
            raise RuntimeError("injected fault")
        return real(session, tenant, sub, **kwargs)

    # The batch fails as a whole, then each subscription is renewed on its own.
    monkeypatch.setattr(service, "period_coupon", period_coupon)
    now = T0 + timedelta(days=31)
    run_once(session_factory, FixedClock(now))
    assert [len(invoices(api, s)) for s in subs] == [2, 1, 2]
    retry = api.ok("GET", f"/v1/subscriptions/{broken}")
    assert retry["current_period_end"] == "2026-02-15T09:30:00Z"
    # Retried later, once the fault is gone.
    monkeypatch.setattr(service, "period_coupon", real)
    run_once(session_factory, FixedClock(now + due.RETRY_AFTER))
    assert [len(invoices(api, s)) for s in subs] == [2, 2, 2]


def test_a_pass_can_be_limited_to_named_handlers(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    setup(api, count=1)
    done = run_once(session_factory, FixedClock(T0), only={"billing"})
    assert set(done) == {"billing"}


def test_sqlite_batches_are_small_and_the_worker_runs_until_all_are_done(
    tmp_path: Path,
) -> None:
    """SQLite's one write lock is held for a whole batch: there a batch is smaller, and a
    full one still has the worker come back for the rest at once."""
    engine = make_engine(f"sqlite:///{tmp_path / 'billing.db'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    end = T0 - timedelta(hours=1)
    seed_due_subscriptions(
        factory, 2 * due_work.SQLITE_BATCH + 50, (end - timedelta(days=30), end), metered=False
    )
    try:
        with unit_of_work(factory) as session:
            assert due_work.run_due_subscriptions(session, T0) == due_work.SQLITE_BATCH
        done = run_once(factory, FixedClock(T0), only={"billing"})
        assert done["billing"] == due_work.SQLITE_BATCH + 50
    finally:
        engine.dispose()
