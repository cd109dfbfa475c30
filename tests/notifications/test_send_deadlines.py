"""Each send has a total deadline, however slowly the other side answers: a receiver or an
SMTP server that drips its answer a byte at a time (never tripping a per-read timeout) is
cut off at the deadline, the item is tried again later, and the worker's pass goes on."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import WebhookAttempt, WebhookDelivery
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.payments import collection, reconcile
from recura.gateways.base import ChargeRequest, ChargeResult
from recura.gateways.sandbox import SandboxGateway
from recura.jobs.worker import run_once
from recura.notifications import outbox
from recura.notifications.smtp import Mailer
from recura.notifications.webhooks_out import Sender
from tests.conftest import T0, Api, Merchant
from tests.domains.payments.test_unknown_outcomes import charges_booked, customer_with_invoice
from tests.fakes.slow_drip import HTTP_ANSWER, SMTP_GREETING, serve_drip, wait_until
from tests.fakes.webhook_receiver import serve_receiver
from tests.notifications.mailbox import Mailbox
from tests.notifications.test_email_delivery import recorded, rows

DEADLINE = 1.0  # seconds; the drips below take over ten times as long
PAUSE = 0.2


def test_a_receiver_that_drips_its_answer_is_cut_off_and_the_pass_goes_on(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    assert len(HTTP_ANSWER) * PAUSE > 10 * DEADLINE
    with (
        serve_drip(HTTP_ANSWER, PAUSE, reads_first=True) as drip,
        serve_receiver() as healthy,
    ):
        slow = api.ok(
            "POST",
            "/v1/webhook_endpoints",
            201,
            json={"url": f"http://127.0.0.1:{drip.port}/hooks"},
        )
        fine = api.ok("POST", "/v1/webhook_endpoints", 201, json={"url": healthy.url})
        healthy.secrets.append(fine["secret"])
        with unit_of_work(session_factory) as session:
            tenant = Tenant(merchant.account_id, False)
            updated = payloads.CustomerUpdated(id="cus_1", default_payment_method=None)
            event_id = events.record(session, tenant, updated, T0).id
        with unit_of_work(session_factory) as session:
            outbox.dispatch(session, T0)

        sender = Sender(allow_private=True, timeout=DEADLINE)
        try:
            done = run_once(session_factory, FixedClock(T0), webhooks=sender)
        finally:
            sender.close()

        assert done["deliver_webhooks"] >= 2
        assert healthy.processed[event_id] == 1
        with unit_of_work(session_factory) as session:
            delivery = session.scalars(
                select(WebhookDelivery).where(
                    WebhookDelivery.account_id == merchant.account_id,
                    WebhookDelivery.endpoint_id == slow["id"],
                )
            ).one()
            attempts = session.scalars(
                select(WebhookAttempt).where(
                    WebhookAttempt.account_id == merchant.account_id,
                    WebhookAttempt.delivery_id == delivery.id,
                )
            ).all()
        assert (delivery.status, delivery.attempt_count) == ("pending", 1)
        assert delivery.next_attempt_at is not None
        assert delivery.next_attempt_at > T0
        [attempt] = attempts
        assert attempt.status_code is None
        assert attempt.error == f"Timed out after {DEADLINE:g} s."
        # The receiver saw its connection closed before it had dripped its answer.
        wait_until(lambda: drip.cut >= 1)


def test_an_smtp_server_that_drips_its_greeting_is_cut_off_and_tried_again(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    to, customer = recorded(api, session_factory)
    assert mailer.smtp is not None
    with serve_drip(SMTP_GREETING, PAUSE, reads_first=False) as drip:
        slow_config = dataclasses.replace(
            mailer.smtp, port=drip.port, timeout=5 * DEADLINE, deadline=DEADLINE
        )
        slow = dataclasses.replace(mailer, smtp=slow_config)
        run_once(session_factory, FixedClock(T0), slow, only={"send_emails"})
        wait_until(lambda: drip.cut >= 1)
    found = rows(session_factory, customer)
    assert {row.status for row in found} == {"pending"}
    assert all("no answer within 1 s in all" in (row.last_error or "") for row in found)
    assert mailbox.templates(to) == []
    # Once the server answers again, the retry goes out.
    run_once(session_factory, FixedClock(T0 + timedelta(hours=1)), mailer, only={"send_emails"})
    assert sorted(mailbox.templates(to)) == ["receipt", "welcome"]
    assert {row.status for row in rows(session_factory, customer)} == {"sent"}


def test_a_charge_without_an_answer_by_its_deadline_is_unknown_and_asked_about_later(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, invoice = customer_with_invoice(api, "tok_sandbox_visa")
    charge = SandboxGateway.charge
    answer = threading.Event()

    def stuck_charge(self: SandboxGateway, request: ChargeRequest) -> ChargeResult:
        answer.wait(60)  # the processor takes its time, then charges
        return charge(self, request)

    monkeypatch.setattr(SandboxGateway, "charge", stuck_charge)
    units = lambda: unit_of_work(session_factory)  # noqa: E731
    assert collection.collect_due(units, FixedClock(T0), deadline=DEADLINE) >= 1
    payments = api.ok("GET", "/v1/payments", params={"invoice": invoice})["data"]
    assert [p["status"] for p in payments] == ["unknown"]

    # The abandoned call charges after all; the reconciler asks and learns so: charged once.
    answer.set()
    wait_until(lambda: charges_booked(engine, merchant.account_id) == 1)
    monkeypatch.setattr(SandboxGateway, "charge", charge)
    reconcile.reconcile_unsettled(units, FixedClock(T0 + reconcile.ASK_AGAIN_AFTER))
    payments = api.ok("GET", "/v1/payments", params={"invoice": invoice})["data"]
    assert [p["status"] for p in payments] == ["succeeded"]
    assert api.ok("GET", f"/v1/invoices/{invoice}")["status"] == "paid"
    assert charges_booked(engine, merchant.account_id) == 1
