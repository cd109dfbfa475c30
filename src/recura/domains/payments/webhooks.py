"""The processors' webhooks, verified by the gateway, applied here once each.

Each event is kept under the processor's event id before it is applied, in the same
transaction: a replay, or a twin delivered at the same moment, hits the key and changes
nothing. Whatever arrives late never undoes newer state: payments and disputes compare the
event's time with the last change they recorded.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recura.db.models import Customer, Payment, PaymentMethod, Refund
from recura.db.models import GatewayEvent as GatewayEventRow
from recura.domains.common.tenant import Tenant
from recura.domains.customers import service as customers
from recura.domains.payments import disputes, locks, methods, outcomes, refunds
from recura.gateways.base import ChargeResult, GatewayEvent, RefundResult

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
    if event.kind.startswith("payment_method."):
        return _method_event(session, tenant, gateway, event, now)
    payment = _payment(session, tenant, gateway, event)
    if payment is None:
        # Not one of ours (made in the processor's dashboard), or named in a way we cannot
        # follow; the reconciler settles our own attempts in any case.
        return "unknown payment"
    # After the payment's row, as every money operation takes them.
    locks.hold_customer(session, tenant, payment.customer_id)
    customer = session.get_one(Customer, (tenant.account_id, payment.customer_id))
    now = customers.now_for(session, tenant, customer, now)
    if event.kind.startswith("payment."):
        return _payment_event(session, tenant, payment, event, now)
    if event.kind.startswith("refund."):
        return _refund_event(session, tenant, payment, event, now)
    return disputes.record(session, tenant, payment, event, now)


def _payment(session: Session, tenant: Tenant, gateway: str, event: GatewayEvent) -> Payment | None:
    scoped = tenant.scope(select(Payment), Payment).where(Payment.gateway == gateway)
    if event.payment_reference is not None:
        found = session.scalar(
            scoped.where(Payment.reference == event.payment_reference).with_for_update()
        )
        if found is not None:
            return found
    if event.kind.startswith("payment.") and event.idempotency_key:
        # Before our answer came back (a timeout, or the webhook was faster): by our key,
        # which is "<invoice>-attempt-<n>", the payment's unique (invoice, attempt).
        invoice_id, _, attempt = event.idempotency_key.rpartition("-attempt-")
        if attempt.isdigit():
            found = session.scalar(
                scoped.where(Payment.invoice_id == invoice_id, Payment.attempt == int(attempt))
                .where(Payment.idempotency_key == event.idempotency_key)
                .with_for_update()
            )
            return found
    return None


def _payment_event(
    session: Session, tenant: Tenant, payment: Payment, event: GatewayEvent, now: datetime
) -> str:
    before = payment.status
    succeeded = event.kind == "payment.succeeded"
    result = ChargeResult(
        status="succeeded" if succeeded else "failed",
        reference=event.payment_reference,
        amount=event.amount,
        failure_code=None if succeeded else event.reason or "card_declined",
        failure_message=None if succeeded else f"{event.processor_type} ({event.reason})",
    )
    outcomes.apply(session, tenant, payment, result, now, changed_at=event.occurred_at)
    if payment.status == before:
        return "stale" if payment.status != result.status else "unchanged"
    return "applied"


def _refund_event(
    session: Session, tenant: Tenant, payment: Payment, event: GatewayEvent, now: datetime
) -> str:
    refund = _our_refund(session, tenant, payment, event)
    succeeded = event.kind == "refund.succeeded"
    if refund is not None:
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
    # invoice and the revenue say what the bank account does.
    amount = event.amount.minor if event.amount is not None else None
    if event.refund_reference is None and event.refunded_total is not None:
        amount = event.refunded_total.minor - payment.amount_refunded
    if amount is None or amount <= 0:
        return "unchanged"
    refunds.record_external(session, tenant, payment, amount, event.refund_reference, now)
    return "applied"


def _our_refund(
    session: Session, tenant: Tenant, payment: Payment, event: GatewayEvent
) -> Refund | None:
    """The refund the event is about: by the processor's id, by our key, or, when the
    processor named neither before answering, the one refund of that amount still waiting."""
    of_payment = (
        tenant.scope(select(Refund), Refund)
        .where(Refund.payment_id == payment.id)
        .order_by(Refund.id)
        .with_for_update()
    )
    mine = list(session.scalars(of_payment))
    for refund in mine:
        if event.refund_reference and refund.reference == event.refund_reference:
            return refund
        if event.idempotency_key and refund.idempotency_key == event.idempotency_key:
            return refund
    if event.refund_reference is None or event.amount is None:
        return None
    waiting = [
        r
        for r in mine
        if r.status == "pending" and r.reference is None and r.amount == event.amount.minor
    ]
    return waiting[0] if waiting else None


def _method_event(
    session: Session, tenant: Tenant, gateway: str, event: GatewayEvent, now: datetime
) -> str:
    method = session.scalar(
        tenant.scope(select(PaymentMethod), PaymentMethod)
        .where(
            PaymentMethod.gateway == gateway,
            PaymentMethod.reference == event.method_reference,
            PaymentMethod.status == "active",
        )
        .with_for_update()
    )
    if method is None:
        return "unknown payment method"
    if event.kind == "payment_method.detached":
        methods.detached(session, tenant, method, now)
        return "applied"
    if event.method is None or not methods.updated(session, tenant, method, event.method, now):
        return "unchanged"
    return "applied"
