"""Finished webhook deliveries (with their attempts) and finished emails older than the
retention are deleted by the worker, in batches; nothing still pending or sending is."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.config import Settings
from recura.db.models import EmailMessage, WebhookAttempt, WebhookDelivery
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.events import service as events
from recura.domains.webhook_endpoints import service as endpoints
from recura.domains.webhook_endpoints.schemas import WebhookEndpointCreate
from recura.ids import new_id
from recura.jobs.worker import run_once
from recura.notifications import pruning
from recura.notifications.emails import message_id
from tests.conftest import T0, Merchant
from tests.factories import sample_payload

Factory = sessionmaker[Session]
NOW = T0 + timedelta(days=400)
# Only these: the other handlers would bill the database's other accounts for a year.
PRUNING = {"prune_webhook_deliveries", "prune_emails"}
OLD = NOW - pruning.RETENTION - timedelta(days=1)
RECENT = NOW - pruning.RETENTION + timedelta(days=1)


def delivery(session: Session, tenant: Tenant, status: str, at: datetime, attempts: int) -> str:
    body = WebhookEndpointCreate(url="https://hooks.merchant.example/x")  # type: ignore[call-arg]
    endpoint = endpoints.create(session, tenant, body, at, allow_private=False)
    event = events.record(session, tenant, sample_payload("invoice.paid", "inv_1"), at)
    row = endpoints.new_delivery(tenant, endpoint.id, event.id, at)
    row.status, row.attempt_count = status, attempts
    session.add(row)
    session.flush()  # before its attempts: no relationship orders the inserts
    for number in range(1, attempts + 1):
        session.add(
            WebhookAttempt(
                id=new_id("webhook_attempt"),
                **tenant.row_keys(),
                delivery_id=row.id,
                attempt=number,
                status_code=200 if status == "succeeded" else 500,
                created_at=at,
            )
        )
    session.flush()
    return row.id


def email_row(session: Session, tenant: Tenant, status: str, at: datetime) -> str:
    event_id = new_id("event")
    row = EmailMessage(
        id=new_id("email_message"),
        **tenant.row_keys(),
        event_id=event_id,
        template="receipt",
        customer_id=None,
        to_address="ana@example.ro",
        locale="ro",
        context={},
        status=status,
        attempts=1,
        send_after=at,
        message_id=message_id(event_id, "receipt"),
        created_at=at - timedelta(days=14),  # written long before it finished
        updated_at=at,
    )
    session.add(row)
    return row.id


def build(factory: Factory, merchant: Merchant) -> dict[str, Any]:
    tenant = Tenant(merchant.account_id, False)
    with unit_of_work(factory) as session:
        gone = {
            "deliveries": [
                delivery(session, tenant, "succeeded", OLD, 2),
                delivery(session, tenant, "failed", OLD, 11),
            ],
            "emails": [email_row(session, tenant, s, OLD) for s in ("sent", "failed", "skipped")],
        }
        kept = {
            "deliveries": [
                delivery(session, tenant, "succeeded", RECENT, 1),
                # A replayed delivery is pending again with its old log: still work.
                delivery(session, tenant, "pending", OLD, 3),
                delivery(session, tenant, "sending", OLD, 1),
            ],
            "emails": [
                email_row(session, tenant, "sent", RECENT),
                email_row(session, tenant, "pending", OLD),
                email_row(session, tenant, "sending", OLD),
            ],
        }
    return {"gone": gone, "kept": kept}


def present(factory: Factory, merchant: Merchant) -> dict[str, set[str]]:
    with unit_of_work(factory) as session:
        mine = merchant.account_id
        deliveries = select(WebhookDelivery.id).where(WebhookDelivery.account_id == mine)
        attempts = select(WebhookAttempt.delivery_id).where(WebhookAttempt.account_id == mine)
        emails = select(EmailMessage.id).where(EmailMessage.account_id == mine)
        return {
            "deliveries": set(session.scalars(deliveries)),
            "attempts": set(session.scalars(attempts)),
            "emails": set(session.scalars(emails)),
        }


def test_the_worker_deletes_what_is_finished_and_old_and_keeps_the_rest(
    session_factory: Factory, merchant: Merchant
) -> None:
    rows = build(session_factory, merchant)
    done = run_once(session_factory, FixedClock(NOW), only=PRUNING)
    assert done["prune_webhook_deliveries"] >= 2
    assert done["prune_emails"] >= 3
    left = present(session_factory, merchant)
    assert left["deliveries"] == set(rows["kept"]["deliveries"])
    assert left["attempts"] == set(rows["kept"]["deliveries"])  # each kept one has its log
    assert left["emails"] == set(rows["kept"]["emails"])


def test_pruning_goes_in_bounded_batches(session_factory: Factory, merchant: Merchant) -> None:
    rows = build(session_factory, merchant)
    counts = []
    while True:
        with unit_of_work(session_factory) as session:
            counts.append(pruning.prune_emails(session, NOW, limit=2))
        if counts[-1] < 2:
            break
    assert all(count <= 2 for count in counts)
    assert sum(counts) >= 3
    with unit_of_work(session_factory) as session:
        assert pruning.prune_webhook_deliveries(session, NOW, limit=1) == 1
    left = present(session_factory, merchant)
    assert left["emails"] == set(rows["kept"]["emails"])
    assert len(left["deliveries"] & set(rows["gone"]["deliveries"])) == 1


def test_the_retention_is_the_workers_to_set(session_factory: Factory, merchant: Merchant) -> None:
    rows = build(session_factory, merchant)
    run_once(
        session_factory,
        FixedClock(NOW),
        only=PRUNING,
        retention=pruning.RETENTION + timedelta(days=30),
    )
    left = present(session_factory, merchant)
    assert set(rows["gone"]["emails"]) <= left["emails"]
    assert set(rows["gone"]["deliveries"]) <= left["deliveries"]
    run_once(session_factory, FixedClock(NOW), only=PRUNING, retention=timedelta(days=1))
    left = present(session_factory, merchant)
    assert left["emails"] == set(rows["kept"]["emails"][1:])
    assert left["deliveries"] == set(rows["kept"]["deliveries"][1:])


def test_the_retention_setting_defaults_to_ninety_days(settings: Settings) -> None:
    assert timedelta(days=settings.notifications_retention_days) == pruning.RETENTION
    assert timedelta(days=90) == pruning.RETENTION
