"""The worker's passes are fair: one webhook endpoint that fails with a deep backlog costs
a few sends and is held back, while in the same pass another tenant's endpoint gets its
events, a subscriber's receipt goes out and a due renewal is invoiced; and a handler with
more work than its slice leaves the rest for the next pass."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import Event, Invoice, WebhookDelivery, WebhookEndpoint
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.jobs.worker import Slice, run_once, run_pass, run_until_idle
from recura.notifications import outbox, webhooks_out
from recura.notifications.smtp import Mailer
from recura.notifications.webhooks_out import Sender
from tests.conftest import T0, Merchant, make_merchant
from tests.factories import seed_due_subscriptions
from tests.fakes.webhook_receiver import Answer, serve_receiver
from tests.notifications.mailbox import Mailbox
from tests.notifications.test_email_delivery import address, subscribe

BACKLOG = 2_000
Factory = sessionmaker[Session]


def record_events(factory: Factory, merchant: Merchant, count: int, at: object) -> None:
    tenant = Tenant(merchant.account_id, False)
    with unit_of_work(factory) as session:
        for n in range(count):
            updated = payloads.CustomerUpdated(id=f"cus_{n}", default_payment_method=None)
            events.record(session, tenant, updated, at)  # type: ignore[arg-type]


def deliveries(factory: Factory, account_id: str) -> dict[str, int]:
    with unit_of_work(factory) as session:
        stmt = (
            select(WebhookDelivery.status, func.count())
            .where(WebhookDelivery.account_id == account_id)
            .group_by(WebhookDelivery.status)
        )
        return {status: count for status, count in session.execute(stmt)}


def invoices(factory: Factory, account_id: str) -> int:
    with unit_of_work(factory) as session:
        return session.scalar(select(func.count()).where(Invoice.account_id == account_id)) or 0


def test_one_failing_endpoints_backlog_does_not_hold_up_the_rest_of_the_pass(
    session_factory: Factory,
    client: TestClient,
    merchant: Merchant,
    mailbox: Mailbox,
    mailer: Mailer,
) -> None:
    other = make_merchant(session_factory, client, "Alt Client SRL")
    with serve_receiver() as failing, serve_receiver() as healthy:
        # A tenant whose endpoint answers 500 to everything, 2,000 deliveries due, the
        # oldest work there is.
        failing.answer(*[Answer(500, body="down")] * BACKLOG)
        down = merchant.api.ok("POST", "/v1/webhook_endpoints", 201, json={"url": failing.url})
        failing.secrets.append(down["secret"])
        record_events(session_factory, merchant, BACKLOG, T0 - timedelta(minutes=2))
        with unit_of_work(session_factory) as session:
            while outbox.dispatch(session, T0 - timedelta(minutes=1)):
                pass
        assert deliveries(session_factory, merchant.account_id) == {"pending": BACKLOG}

        # Another tenant: a healthy endpoint, and a subscriber who has just paid, whose
        # receipt (and the events about it) are due.
        fine = other.api.ok("POST", "/v1/webhook_endpoints", 201, json={"url": healthy.url})
        healthy.secrets.append(fine["secret"])
        to = address()
        subscribe(other.api, to, "ro")
        for _ in range(2):
            run_once(session_factory, FixedClock(T0), only={"collect_payments", "dispatch_events"})
        owed = deliveries(session_factory, other.account_id)
        assert set(owed) == {"pending"}
        # And a third tenant's subscription, due for renewal.
        renewing = seed_due_subscriptions(
            session_factory, 1, (T0 - timedelta(days=30), T0), metered=False
        )
        invoiced = invoices(session_factory, renewing)

        sender = Sender(allow_private=True)
        try:
            run_once(
                session_factory, FixedClock(T0 + timedelta(minutes=1)), mailer, webhooks=sender
            )
        finally:
            sender.close()

        assert invoices(session_factory, renewing) == invoiced + 1
        assert len(mailbox.of("receipt", to)) == 1
        assert deliveries(session_factory, other.account_id) == {"succeeded": owed["pending"]}
        assert len(healthy.processed) == owed["pending"]
        # The failing endpoint was tried a few times, then held back: its backlog waits.
        assert 0 < len(failing.received) < webhooks_out.BATCH
        left = deliveries(session_factory, merchant.account_id)
        assert left["pending"] == BACKLOG
        with unit_of_work(session_factory) as session:
            held = session.get_one(WebhookEndpoint, (merchant.account_id, down["id"]))
            assert held.throttled_until is not None
            assert held.throttled_until > T0 + timedelta(minutes=1)


def test_a_handler_with_more_than_its_slice_leaves_the_rest_for_the_next_pass(
    session_factory: Factory, merchant: Merchant
) -> None:
    record_events(session_factory, merchant, 3 * outbox.BATCH, T0)
    only = {"dispatch_events"}
    first = run_pass(session_factory, FixedClock(T0), only=only, work_slice=Slice(batches=2))
    assert first.done["dispatch_events"] == 2 * outbox.BATCH
    assert first.unfinished == {"dispatch_events"}
    run_until_idle(session_factory, FixedClock(T0), only=only)
    with unit_of_work(session_factory) as session:
        undispatched = select(func.count()).where(
            Event.account_id == merchant.account_id, Event.dispatched_at.is_(None)
        )
        assert session.scalar(undispatched) == 0
    last = run_pass(session_factory, FixedClock(T0), only=only, work_slice=Slice(batches=2))
    assert last.unfinished == set()
