"""A worker process killed after committing a batch as `sending` (some requests in
flight, the rest not yet sent), then two more racing over it: a receiver that
deduplicates by `webhook-id` acts on every event exactly once."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import WebhookAttempt, WebhookDelivery
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.events import service as events
from recura.notifications import outbox
from recura.notifications.webhooks_out import LOST, THREADS
from recura.staged import CLAIM_EXPIRES
from tests.conftest import T0, Merchant
from tests.factories import sample_payload
from tests.fakes import worker_process
from tests.fakes.webhook_receiver import serve_receiver

pytestmark = pytest.mark.slow

EVENTS = 40  # one batch: THREADS of them in flight when the worker dies, the rest unsent


def start_worker(database_url: str, at: datetime | None = None) -> subprocess.Popen[bytes]:
    return worker_process.start_worker(database_url, at, webhooks_allow_private="true")


def sending(factory: sessionmaker[Session], account_id: str) -> int:
    with unit_of_work(factory) as session:
        stmt = select(func.count()).where(
            WebhookDelivery.account_id == account_id, WebhookDelivery.status == "sending"
        )
        return session.scalar(stmt) or 0


@pytest.mark.postgres
def test_a_worker_killed_between_commit_and_send_still_delivers_each_event_once(
    merchant: Merchant, session_factory: sessionmaker[Session], database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("worker processes racing with SKIP LOCKED are a PostgreSQL matter")
    with serve_receiver() as receiver:
        created = merchant.api.ok("POST", "/v1/webhook_endpoints", 201, json={"url": receiver.url})
        receiver.secrets.append(created["secret"])
        tenant = Tenant(merchant.account_id, False)
        with unit_of_work(session_factory) as session:
            recorded = [
                events.record(session, tenant, sample_payload("invoice.paid", f"inv_{n}"), T0).id
                for n in range(EVENTS)
            ]
        # Fanned out here, not by the worker: every delivery exists before it starts.
        while True:
            with unit_of_work(session_factory) as session:
                if not outbox.dispatch(session, T0):
                    break

        receiver.gate.clear()  # requests arrive and wait: the worker is mid-send
        doomed = start_worker(database_url, T0)  # at T0, when the events happened
        try:
            worker_process.wait_while_running(
                doomed, lambda: receiver.arrived >= THREADS, f"{THREADS} requests arrived"
            )
            claimed = sending(session_factory, tenant.account_id)
        finally:
            doomed.send_signal(signal.SIGKILL)
            doomed.wait()
        # Counted once the worker is dead.
        in_flight = receiver.arrived
        unsent = claimed - in_flight
        assert in_flight >= THREADS
        assert unsent > 0  # the rest of the batch was committed as sending, never sent
        receiver.gate.set()  # the receiver acts on those; their answers go nowhere
        while len(receiver.received) < in_flight:
            time.sleep(0.01)

        # Once the lost sends are stale, two workers race over them.
        later = T0 + CLAIM_EXPIRES + timedelta(minutes=1)
        racers = [start_worker(database_url, later) for _ in range(2)]
        for racer in racers:
            output = worker_process.finish(racer)
            assert "deliver_webhooks: -1" not in output, output

        assert all(r.verified_by for r in receiver.received)
        assert receiver.processed == {event_id: 1 for event_id in recorded}
        # Only what was in flight came twice, under the same webhook-id.
        assert sum(receiver.duplicates.values()) == in_flight
        assert len(receiver.received) == EVENTS + in_flight
    with unit_of_work(session_factory) as session:
        statuses = session.execute(
            select(WebhookDelivery.status, func.count())
            .where(WebhookDelivery.account_id == tenant.account_id)
            .group_by(WebhookDelivery.status)
        ).all()
        assert dict(statuses) == {"succeeded": EVENTS}
        lost = select(func.count()).where(
            WebhookAttempt.account_id == tenant.account_id, WebhookAttempt.error == LOST
        )
        # One lost attempt for each delivery the dead worker had claimed.
        assert session.scalar(lost) == in_flight + unsent
