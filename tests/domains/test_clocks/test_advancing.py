"""A test clock advances in short steps, each its own commit: other tenants write meanwhile,
a second advance of the same clock is refused, and one that fails stops at a time it can
be advanced again from."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import Account, TestClock
from recura.db.unit_of_work import unit_of_work, units_of
from recura.domains.common.tenant import Tenant
from recura.domains.test_clocks import service
from recura.gateways.base import ChargeRequest, ChargeResult
from recura.gateways.sandbox import SandboxGateway
from tests.conftest import T0, Api, Merchant, make_merchant
from tests.scenarios.world import World, iso

MONTH = timedelta(days=31)
WAIT = 120  # seconds: generous, for a busy machine; the test never waits this long if it works


class Advance(threading.Thread):
    """An advance of the merchant's clock in a thread of its own, as another request's."""

    def __init__(
        self, factory: sessionmaker[Session], merchant: Merchant, clock: str, to: datetime
    ) -> None:
        super().__init__(daemon=True)
        self.args = (units_of(factory), Tenant(merchant.account_id, False), clock, to)
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            service.advance(*self.args, FixedClock(T0))
        except BaseException as error:
            self.error = error

    def finish(self) -> None:
        self.join(WAIT)
        assert not self.is_alive()
        assert self.error is None


def state(factory: sessionmaker[Session], clock: str) -> tuple[str, datetime]:
    with unit_of_work(factory) as session:
        found = session.execute(
            select(TestClock.status, TestClock.frozen_time).where(TestClock.id == clock)
        ).one()
    return found.status, found.frozen_time


def story(api: Api, subscribers: int) -> World:
    world = World(api, T0)
    plan = world.plan(4900)
    for _ in range(subscribers):
        world.subscribe(world.customer(), plan)
    return world


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """A processor that, at the first charge, says so and waits to be let go."""
    asked, answer = threading.Event(), threading.Event()
    charge = SandboxGateway.charge

    def slow(self: SandboxGateway, request: ChargeRequest) -> ChargeResult:
        asked.set()
        assert answer.wait(WAIT)
        return charge(self, request)

    monkeypatch.setattr(SandboxGateway, "charge", slow)
    yield asked, answer
    answer.set()


def test_while_the_processor_is_asked_others_write_and_a_second_advance_is_refused(
    api: Api,
    merchant: Merchant,
    client: TestClient,
    session_factory: sessionmaker[Session],
    held: tuple[threading.Event, threading.Event],
) -> None:
    asked, answer = held
    world = story(api, 1)
    answer.set()  # the first invoice is charged at once
    world.advance_to(T0 + timedelta(minutes=1))
    asked.clear()
    answer.clear()
    advance = Advance(session_factory, merchant, world.clock, T0 + 2 * MONTH)
    advance.start()
    assert asked.wait(WAIT)
    # Mid-way: the clock says it is advancing, at its first renewal; the database is free.
    assert state(session_factory, world.clock) == ("advancing", T0.replace(month=2))
    other = make_merchant(session_factory, client, "Other SRL").api
    other.ok("POST", "/v1/customers", 201, json={"name": "Elsewhere"})
    again = api.post(f"/v1/test_clocks/{world.clock}/advance", json={"frozen_time": iso(T0)})
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert "is advancing" in again.json()["detail"]
    answer.set()
    advance.finish()
    assert state(session_factory, world.clock) == ("ready", T0 + 2 * MONTH)
    assert api.ok("GET", f"/v1/test_clocks/{world.clock}")["status"] == "ready"


def test_another_tenants_writes_go_through_while_a_clock_advances_over_years(
    api: Api,
    merchant: Merchant,
    client: TestClient,
    session_factory: sessionmaker[Session],
    engine: Engine,
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's row locks never held other tenants' writes")
    world = story(api, 30)
    other = make_merchant(session_factory, client, "Other SRL")
    to = T0 + timedelta(days=2 * 365 - 1)  # the day before the 24th renewal
    advance = Advance(session_factory, merchant, world.clock, to)
    seen: list[tuple[str, datetime]] = []
    advance.start()
    while advance.is_alive():
        # A write of another tenant's, and what it saw of the clock in the same transaction
        # (SQLite's writer sees everything committed): mid-way means it got the lock between
        # two steps of the advance, not after the whole of it.
        with unit_of_work(session_factory) as session:
            session.execute(
                update(Account).where(Account.id == other.account_id).values(locale="en")
            )
            seen.append(state_in(session, world.clock))
    advance.finish()
    mid_way = [(status, at) for status, at in seen if status == "advancing" and T0 < at < to]
    assert mid_way
    invoices = world.invoices(world.api.ok("GET", "/v1/subscriptions")["data"][0]["id"])
    assert len(invoices) == 24
    assert {i["status"] for i in invoices} == {"paid"}


def state_in(session: Session, clock: str) -> tuple[str, datetime]:
    found = session.execute(
        select(TestClock.status, TestClock.frozen_time).where(TestClock.id == clock)
    ).one()
    return found.status, found.frozen_time


def _fail_invoices_of(session: Session, subscription: str) -> None:
    """A real database fault: the subscription's next invoice cannot be written."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text(
                "CREATE TRIGGER fail_renewal BEFORE INSERT ON invoices"
                f" WHEN NEW.subscription_id = '{subscription}'"
                " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        )
        return
    session.execute(
        text(
            "CREATE FUNCTION fail_renewal() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'disk full'; END $$"
        )
    )
    session.execute(
        text(
            "CREATE TRIGGER fail_renewal BEFORE INSERT ON invoices FOR EACH ROW"
            f" WHEN (NEW.subscription_id = '{subscription}') EXECUTE FUNCTION fail_renewal()"
        )
    )


def _mend(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER fail_renewal"))
        return
    session.execute(text("DROP TRIGGER fail_renewal ON invoices"))
    session.execute(text("DROP FUNCTION fail_renewal()"))


def test_a_failing_step_stops_the_clock_where_it_was_and_it_advances_again_later(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    world = World(api, T0)
    plan = world.plan(4900)
    good, bad = (world.subscribe(world.customer(), plan)["id"] for _ in range(2))
    with unit_of_work(session_factory) as session:
        _fail_invoices_of(session, bad)
    try:
        path = f"/v1/test_clocks/{world.clock}/advance"
        failed = api.post(path, json={"frozen_time": iso(T0 + 3 * MONTH)})
        assert failed.status_code == 409
        assert bad in failed.json()["detail"]
        # Stopped at the first renewal, which the other subscription had.
        clock = api.ok("GET", f"/v1/test_clocks/{world.clock}")
        assert (clock["status"], clock["frozen_time"]) == ("ready", "2026-02-15T09:30:00Z")
        assert [len(world.invoices(s)) for s in (good, bad)] == [2, 1]
    finally:
        with unit_of_work(session_factory) as session:
            _mend(session)
    world.advance_to(T0 + 3 * MONTH)
    assert [len(world.invoices(s)) for s in (good, bad)] == [4, 4]


def _mark(factory: sessionmaker[Session], clock: str, **values: Any) -> None:
    with unit_of_work(factory) as session:
        session.execute(update(TestClock).where(TestClock.id == clock).values(**values))


def test_an_advance_whose_process_died_is_taken_over_once_stale(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    world = World(api, T0)
    path = f"/v1/test_clocks/{world.clock}/advance"
    body = {"frozen_time": iso(T0 + MONTH)}
    _mark(session_factory, world.clock, status="advancing", updated_at=T0)
    assert api.post(path, json=body).status_code == 409
    _mark(session_factory, world.clock, updated_at=T0 - service.STALE_ADVANCE)
    moved = api.ok("POST", path, json=body)
    assert (moved["status"], moved["frozen_time"]) == ("ready", body["frozen_time"])
