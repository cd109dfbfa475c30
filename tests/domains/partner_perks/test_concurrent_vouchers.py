"""Voucher codes under concurrency, on PostgreSQL and SQLite: subscriptions starting in
many threads at once never share a code, a customer starting several at once gets one,
and an upload racing new subscriptions gives each waiting customer one code."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import Event, PerkVoucher
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.partner_perks import pool
from recura.domains.subscriptions import service as subscriptions
from recura.domains.subscriptions.schemas import SubscriptionCreate
from tests.api.v1.test_entitlements import Catalog
from tests.conftest import T0, Api, Merchant

THREADS = 8
WAIT = 120.0  # seconds a thread may wait for the others: generous, never asserted on


def race(jobs: list[Callable[[], Any]]) -> list[BaseException]:
    """Run the jobs in threads released together; the errors they raised."""
    start = threading.Barrier(len(jobs), timeout=WAIT)
    errors: list[BaseException] = []

    def run(job: Callable[[], Any]) -> None:
        try:
            start.wait()
            job()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive(), "a thread did not finish"
    return errors


def subscribe(factory: sessionmaker[Session], tenant: Tenant, customer: str, plan: str) -> None:
    with unit_of_work(factory) as session:
        subscriptions.create(session, tenant, SubscriptionCreate(customer=customer, plan=plan), T0)


def given(factory: sessionmaker[Session], account_id: str, perk: str) -> list[tuple[str, str]]:
    """(customer, code) of each code of the perk given."""
    with unit_of_work(factory) as session:
        stmt = select(PerkVoucher.customer_id, PerkVoucher.code).where(
            PerkVoucher.account_id == account_id,
            PerkVoucher.perk_id == perk,
            PerkVoucher.customer_id.is_not(None),
        )
        return [(customer, code) for customer, code in session.execute(stmt)]


def assigned_events(factory: sessionmaker[Session], account_id: str) -> list[dict[str, Any]]:
    with unit_of_work(factory) as session:
        stmt = select(Event.data).where(
            Event.account_id == account_id, Event.type == "partner_perk.assigned"
        )
        return list(session.scalars(stmt))


@pytest.fixture
def shop(api: Api) -> Catalog:
    return Catalog(api)


def new_perk(api: Api, plan: str, codes: list[str], threshold: int | None = None) -> str:
    body = {
        "name": "Spotify Premium",
        "partner_name": "Spotify",
        "description": {"en": "Three months."},
        "kind": "voucher",
        "low_stock_threshold": threshold,
        "plans": [plan],
    }
    perk: str = api.ok("POST", "/v1/partner_perks", 201, json=body)["id"]
    if codes:
        api.ok("POST", f"/v1/partner_perks/{perk}/vouchers", json={"codes": codes})
    return perk


def test_subscriptions_starting_at_once_never_share_a_code(
    api: Api, shop: Catalog, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    plan = shop.plan({})
    codes = [f"CODE-{n}" for n in range(THREADS - 2)]  # fewer than subscribers: two wait
    perk = new_perk(api, plan, codes, threshold=3)
    customers = [shop.customer() for _ in range(THREADS)]
    tenant = Tenant(merchant.account_id, False)
    jobs = [
        (lambda customer=customer: subscribe(session_factory, tenant, customer, plan))
        for customer in customers
    ]
    assert race(jobs) == []

    found = given(session_factory, merchant.account_id, perk)
    assert sorted(code for _, code in found) == sorted(codes)  # every code given, once each
    holders = [customer for customer, _ in found]
    assert len(set(holders)) == len(holders) == len(codes)
    assert set(holders) <= set(customers)
    events = assigned_events(session_factory, merchant.account_id)
    assert sorted(e["code"] for e in events) == sorted(codes)
    # The pool crossed its threshold once, however many threads went past it together.
    low = api.ok("GET", "/v1/events", params={"type": "partner_perk.pool_low"})["data"]
    assert len(low) == 1
    counts = api.ok("GET", f"/v1/partner_perks/{perk}")["vouchers"]
    assert counts == {"available": 0, "assigned": len(codes), "waiting": 2}


def test_one_customer_starting_several_subscriptions_at_once_gets_one_code(
    api: Api, shop: Catalog, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    plan = shop.plan({})
    perk = new_perk(api, plan, [f"CODE-{n}" for n in range(THREADS)])
    ana = shop.customer()
    tenant = Tenant(merchant.account_id, False)
    jobs = [(lambda: subscribe(session_factory, tenant, ana, plan)) for _ in range(4)]
    assert race(jobs) == []
    assert [customer for customer, _ in given(session_factory, merchant.account_id, perk)] == [ana]
    assert len(assigned_events(session_factory, merchant.account_id)) == 1


def test_uploads_racing_new_subscriptions_give_each_customer_one_code(
    api: Api, shop: Catalog, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    plan = shop.plan({})
    perk = new_perk(api, plan, [])
    tenant = Tenant(merchant.account_id, False)
    waiting = [shop.customer() for _ in range(3)]
    for customer in waiting:
        subscribe(session_factory, tenant, customer, plan)
    newcomers = [shop.customer() for _ in range(3)]

    def upload(codes: list[str]) -> Callable[[], None]:
        def run() -> None:
            with unit_of_work(session_factory) as session:
                pool.upload(session, tenant, perk, codes, T0)

        return run

    jobs: list[Callable[[], Any]] = [
        (lambda customer=customer: subscribe(session_factory, tenant, customer, plan))
        for customer in newcomers
    ]
    # Two uploads sharing codes: each code goes in once, whoever inserts it.
    jobs += [upload([f"A-{n}" for n in range(5)]), upload([f"A-{n}" for n in range(2, 8)])]
    assert race(jobs) == []

    found = given(session_factory, merchant.account_id, perk)
    holders = [customer for customer, _ in found]
    assert sorted(holders) == sorted(waiting + newcomers)  # 8 codes, 6 customers: all served
    assert len({code for _, code in found}) == len(found)
    with unit_of_work(session_factory) as session:
        stmt = select(func.count()).where(
            PerkVoucher.account_id == merchant.account_id, PerkVoucher.perk_id == perk
        )
        assert session.scalar(stmt) == 8
