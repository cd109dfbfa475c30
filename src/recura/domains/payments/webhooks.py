"""The processors' webhooks, verified by the gateway, applied here once each.

Each event is kept under the processor's event id before it is applied, in the same
transaction: a replay, or a twin delivered at the same moment, hits the key and changes
nothing. Whatever arrives late never undoes newer state: payments and disputes compare the
event's time with the last change they recorded.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recura.db.models import GatewayEvent as GatewayEventRow
from recura.db.models import Payment, Refund
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers_repository
from recura.domains.customers import service as customers
from recura.domains.payments import disputes, locks, methods, outcomes, refunds, repository
from recura.gateways.base import (
    ChargeResult,
    ChargeStatus,
    GatewayEvent,
    GatewayEventKind,
    RefundResult,
)

log = logging.getLogger(__name__)


def receive(
    session: Session, tenant: Tenant, gateway: str, event: GatewayEvent, now: datetime
) -> str:
    """Apply a verified event; returns what it did ("duplicate" if it had been received)."""
    row = GatewayEventRow(
        account_id=tenant.account_id,
        gateway=gateway,
        event_id=event.event_id,
        livemode=tenant.livemode,
        kind=event.kind,
        processor_type=event.processor_type,
        occurred_at=event.occurred_at,
        received_at=now,
        outcome="received",
        payload=dict(event.data),
        api_version=event.api_version,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return "duplicate"
    row.outcome = _apply(session, tenant, gateway, event, now)
    return row.outcome


def _apply(
    session: Session, tenant: Tenant, gateway: str, event: GatewayEvent, now: datetime
) -> str:
    if event.kind == "ignored":
        return "ignored"
    if event.kind == "payment_method.saved":
        return _method_saved(session, tenant, gateway, event, now)
    if event.kind == "payment_method.setup_failed":
        # Nothing was saved and the subscriber's page says so; the log keeps why.
        return f"setup failed ({event.reason or event.status})"[:64]
    if event.kind.startswith("payment_method."):
        return _method_event(session, tenant, gateway, event, now)
    payment = _payment(session, tenant, gateway, event)
    if payment is None:
        # Not one of ours (made in the processor's dashboard), or named in a way we cannot
        # follow; the reconciler settles our own attempts in any case.
        return "unknown payment"
    # After the payment's row, as every money operation takes them.
    locks.hold_customer(session, tenant, payment.customer_id)
    customer = customers_repository.by_key(session, tenant.account_id, payment.customer_id)
    now = customers.now_for(session, tenant, customer, now)
    if event.kind.startswith("payment."):
        return _payment_event(session, tenant, payment, event, now)
    if event.refunds:
        done = [_refund_event(session, tenant, payment, one, now) for one in _each(event)]
        return "applied" if "applied" in done else "unchanged"
    if event.kind.startswith("refund."):
        return _refund_event(session, tenant, payment, event, now)
    return disputes.record(session, tenant, payment, event, now)


def _each(event: GatewayEvent) -> list[GatewayEvent]:
    """An event about all of a payment's refunds, as one event per refund."""
    kinds: dict[str | None, GatewayEventKind] = {
        "succeeded": "refund.succeeded",
        "failed": "refund.failed",
        "canceled": "refund.failed",
    }
    return [
        replace(
            event,
            kind=kinds.get(refund.status, "ignored"),
            refund_reference=refund.reference,
            idempotency_key=refund.idempotency_key,
            amount=refund.amount,
            status=refund.status,
            refunds=(),
        )
        for refund in event.refunds
    ]


def _payment(session: Session, tenant: Tenant, gateway: str, event: GatewayEvent) -> Payment | None:
    if event.payment_reference is not None:
        found = repository.lock_payment_by_reference(
            session, tenant, gateway, event.payment_reference
        )
        if found is not None:
            return found
    if event.kind.startswith("payment.") and event.idempotency_key:
        # Before our answer came back (a timeout, or the webhook was faster): by our key,
        # which is "<invoice>-attempt-<n>", the payment's unique (invoice, attempt).
        invoice_id, _, attempt = event.idempotency_key.rpartition("-attempt-")
        if attempt.isdigit():
            return repository.lock_payment_by_attempt(
                session, tenant, gateway, invoice_id, int(attempt), event.idempotency_key
            )
    return None


_CHARGE_STATUS: dict[str, ChargeStatus] = {
    "payment.succeeded": "succeeded",
    "payment.failed": "failed",
    "payment.processing": "pending",
    "payment.requires_action": "requires_action",
}


def _payment_event(
    session: Session, tenant: Tenant, payment: Payment, event: GatewayEvent, now: datetime
) -> str:
    before = payment.status
    status = _CHARGE_STATUS[event.kind]
    settled = status in ("succeeded", "pending")
    result = ChargeResult(
        status=status,
        reference=event.payment_reference,
        amount=event.amount,
        failure_code=None if settled else event.reason or "card_declined",
        failure_message=None if settled else f"{event.processor_type} ({event.reason})",
        action_url=event.action_url,
    )
    outcomes.apply(session, tenant, payment, result, now, changed_at=event.occurred_at)
    if payment.status == before:
        recorded_as = "processing" if status == "pending" else status
        return "stale" if payment.status != recorded_as else "unchanged"
    return "applied"


def _refund_event(
    session: Session, tenant: Tenant, payment: Payment, event: GatewayEvent, now: datetime
) -> str:
    if event.kind == "ignored":
        return "unchanged"  # a refund still pending at the processor: its outcome will come
    refund = _our_refund(session, tenant, payment, event)
    succeeded = event.kind == "refund.succeeded"
    if refund is not None:
        if refund.reference is None and event.refund_reference is not None:
            refund.reference = event.refund_reference  # keyed by the processor's id from now
        if refund.status != "pending":
            return "unchanged"
        result = RefundResult(
            status="succeeded" if succeeded else "failed",
            reference=event.refund_reference,
            amount=event.amount,
            failure_message=None if succeeded else event.reason or event.processor_type,
        )
        refunds.settle(session, tenant, refund, result, now)
        return "applied"
    if not succeeded:
        return "unknown refund"
    # Refunded at the processor, not through Recura: recorded with its credit note, so the
    # invoice and the revenue say what the bank account does; once, under the processor's
    # id (unique per account and processor), whichever of its events comes first.
    if event.refund_reference is None or event.amount is None or event.amount.minor <= 0:
        return "unchanged"
    if event.amount.currency != payment.currency:
        log.error("payment %s: refund %s in %s", payment.id, event.refund_reference, event.amount)
        return "unchanged"
    refunds.record_external(
        session, tenant, payment, event.amount.minor, event.refund_reference, now
    )
    return "applied"


def _our_refund(
    session: Session, tenant: Tenant, payment: Payment, event: GatewayEvent
) -> Refund | None:
    """The refund the event is about: by the processor's id, by our key, or, when the
    processor named neither before answering and keeps no key of ours, the one refund of
    that amount still waiting."""
    mine = repository.lock_refunds_of(session, tenant, payment.id)
    for refund in mine:
        if event.refund_reference and refund.reference == event.refund_reference:
            return refund
        if event.idempotency_key and refund.idempotency_key == event.idempotency_key:
            return refund
    if event.refund_reference is None or event.amount is None or event.echoes_key:
        return None
    waiting = [
        r
        for r in mine
        if r.status == "pending" and r.reference is None and r.amount == event.amount.minor
    ]
    return waiting[0] if waiting else None


def _method_saved(
    session: Session, tenant: Tenant, gateway: str, event: GatewayEvent, now: datetime
) -> str:
    """A method saved at the processor, perhaps after the subscriber's page was closed."""
    customer = None
    if event.customer_reference is not None:
        customer = customers_repository.find_by_key(
            session, tenant.account_id, event.customer_reference
        )
    if customer is None or customer.livemode != tenant.livemode or event.method is None:
        return "unknown customer"
    now = customers.now_for(session, tenant, customer, now)
    _, new = methods.record(session, tenant, customer, gateway, event.method, None, now)
    return "applied" if new else "unchanged"


def _method_event(
    session: Session, tenant: Tenant, gateway: str, event: GatewayEvent, now: datetime
) -> str:
    method = repository.lock_active_method(session, tenant, gateway, event.method_reference)
    if method is None:
        return "unknown payment method"
    if event.kind == "payment_method.detached":
        methods.detached(session, tenant, method, now)
        return "applied"
    if event.method is None or not methods.updated(session, tenant, method, event.method, now):
        return "unchanged"
    return "applied"
