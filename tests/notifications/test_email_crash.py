"""A worker killed between its commit and its sends (PostgreSQL, real processes): the
emails it had claimed are sent by the next worker once they are stale, and a receiver that
deduplicates by Message-ID ends up with every email exactly once. A batch's answers are
recorded together once it is sent, so those it sent before it died go again too."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from recura import staged
from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings
from recura.db.engine import make_engine, make_session_factory
from recura.db.models import EmailMessage
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.jobs.worker import run_once
from recura.notifications import emails
from recura.notifications.smtp import Mailer
from tests.conftest import SECRET, make_merchant
from tests.fakes.worker_process import start_worker, wait_while_running
from tests.notifications.mailbox import Mailbox

pytestmark = pytest.mark.slow

EMAILS = 12
DOMAIN = "@crash.example.ro"


@pytest.fixture
def own_database(database_url: str) -> str:
    """The test's own database (tests/notifications/conftest.py), on PostgreSQL."""
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent worker processes are a PostgreSQL matter")
    return database_url


def worker(database_url: str, mailbox: Mailbox) -> subprocess.Popen[bytes]:
    return start_worker(
        database_url, smtp_host=mailbox.host, smtp_port=str(mailbox.port), smtp_security="none"
    )


def seed(engine: Engine, database_url: str) -> tuple[sessionmaker[Session], set[str]]:
    """Customers and one renewal notice each, recorded as the billing clock would."""
    factory = make_session_factory(engine)
    settings = Settings(database_url=database_url, secret_key=SECRET)  # type: ignore[arg-type]
    with TestClient(create_app(settings, engine=engine)) as client:
        merchant = make_merchant(factory, client)
        api = merchant.api
        product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
        plan = api.ok(
            "POST",
            "/v1/plans",
            201,
            json={
                "product": product,
                "code": "yearly",
                "name": "Pro anual",
                "interval_unit": "year",
                "pricing_model": "flat",
                "prices": [{"currency": "RON", "amount": 49000}],
            },
        )["id"]
        customers = [
            api.ok("POST", "/v1/customers", 201, json={"email": f"c{n}{DOMAIN}", "locale": "ro"})[
                "id"
            ]
            for n in range(EMAILS)
        ]
    now = datetime.now(UTC)
    tenant = Tenant(merchant.account_id, False)
    with unit_of_work(factory) as session:
        recorded = []
        for customer in customers:
            data = payloads.InvoiceUpcoming(
                id=customer,
                subscription=f"sub_of_{customer}",
                customer=customer,
                renews_at=now + timedelta(days=7),
                amount=49000,
                currency="RON",
                plan=plan,
            )
            recorded.append(events.record(session, tenant, data, now))
        session.flush()
        expected = {emails.message_id(e.id, "upcoming_renewal") for e in recorded}
    return factory, expected


@pytest.mark.postgres
def test_a_worker_killed_mid_batch_still_delivers_each_email_once(
    own_database: str, mailbox: Mailbox, mailer: Mailer
) -> None:
    engine = make_engine(own_database)
    try:
        factory, expected = seed(engine, own_database)
        mailbox.hold_for, mailbox.hold_after = DOMAIN, 4

        doomed = worker(own_database, mailbox)
        # The 4th is accepted, its 250 never comes.
        wait_while_running(doomed, lambda: len(mailbox.templates()) >= 4, "4 emails arrived")
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
        mailbox.released = True
        mailbox.hold_after = None

        with unit_of_work(factory) as session:
            statuses = Counter(session.scalars(select(EmailMessage.status)))
        # Three sent, one in flight, the rest not yet tried: none recorded, all claimed.
        assert statuses == {"sending": EMAILS}, statuses

        # Another worker right away leaves them alone: their worker may still be sending.
        assert run_once(factory, FixedClock(datetime.now(UTC)), mailer)["send_emails"] == 0
        later = datetime.now(UTC) + staged.CLAIM_EXPIRES + timedelta(minutes=1)
        run_once(factory, FixedClock(later), mailer)

        with unit_of_work(factory) as session:
            statuses = Counter(session.scalars(select(EmailMessage.status)))
        assert statuses == {"sent": EMAILS}
        received = [str(r.message["Message-ID"]) for r in mailbox.received]
        assert set(received) == expected  # every email, under its own Message-ID
        counts = Counter(received)
        # The three sent and the one whose 250 was lost arrived twice; the receiver's
        # dedupe keeps one.
        assert sorted(counts.values()) == [1] * (EMAILS - 4) + [2] * 4
        assert len(mailbox.by_message_id()) == EMAILS
    finally:
        engine.dispose()
