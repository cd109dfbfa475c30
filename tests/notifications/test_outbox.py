"""The outbox dispatcher: every committed event is fanned out once, in batches, and a
fan-out that fails leaves its batch to be dispatched again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import Event
from recura.db.unit_of_work import unit_of_work
from recura.notifications import outbox
from tests.conftest import T0, Api


def undispatched(factory: sessionmaker[Session]) -> int:
    with unit_of_work(factory) as session:
        stmt = select(func.count()).select_from(Event).where(Event.dispatched_at.is_(None))
        return session.scalar(stmt) or 0


def make_events(api: Api, count: int) -> None:
    """Subscriptions: each records several events (created, its first invoice, ...)."""
    product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
    plan = {
        "product": product,
        "code": "pro",
        "name": "Pro",
        "pricing_model": "flat",
        "prices": [{"currency": "RON", "amount": 3000}],
    }
    plan_id = api.ok("POST", "/v1/plans", 201, json=plan)["id"]
    for n in range(count):
        customer = api.ok("POST", "/v1/customers", 201, json={"name": f"C{n}"})["id"]
        api.ok("POST", "/v1/subscriptions", 201, json={"customer": customer, "plan": plan_id})


def test_each_event_is_fanned_out_once_in_batches(
    api: Api, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_events(api, 4)
    total = undispatched(session_factory)
    assert total >= 5
    seen: list[str] = []

    def fan_out(session: Session, events: Sequence[Event], now: datetime) -> None:
        seen.extend(e.id for e in events)

    monkeypatch.setattr(outbox, "FAN_OUTS", (fan_out,))
    while True:
        with unit_of_work(session_factory) as session:
            if outbox.dispatch(session, T0, limit=2) == 0:
                break
    assert len(seen) == len(set(seen)) == total
    assert seen == sorted(seen)  # in the order they happened
    assert undispatched(session_factory) == 0


def test_a_failing_fan_out_leaves_its_batch_undispatched(
    api: Api, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_events(api, 1)
    before = undispatched(session_factory)

    def broken(session: Session, events: Sequence[Event], now: datetime) -> None:
        raise RuntimeError("mail server table is gone")

    monkeypatch.setattr(outbox, "FAN_OUTS", (broken,))
    with pytest.raises(RuntimeError), unit_of_work(session_factory) as session:
        outbox.dispatch(session, T0)
    assert undispatched(session_factory) == before
