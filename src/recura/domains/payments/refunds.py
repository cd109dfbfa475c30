"""Refunds: money sent back for a payment, recorded on the invoice by a credit note.

As with charges, the refund is recorded and committed before the processor is asked, under
a key of its own, and its outcome recorded after; a refund that fails puts its credit on the
customer's balance instead, so the credit note stays true.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from recura.core.money import Money
from recura.db.models import Payment, Refund
from recura.domains.balances import service as balances
from recura.domains.common import lookup
from recura.domains.common.errors import ConflictError, invalid
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers_repository
from recura.domains.customers import service as customers
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.invoices import credit_notes
from recura.domains.invoices import repository as invoices_repository
from recura.domains.invoices.schemas import CreditNoteCreate, CreditReason
from recura.domains.payments import locks, outcomes, processors, repository
from recura.gateways.base import (
    GatewayError,
    GatewayTimeout,
    PaymentGateway,
    RefundRequest,
    RefundResult,
)
from recura.ids import new_id

RefundT = TypeVar("RefundT", bound=payloads.RefundData)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PendingRefund:
    tenant: Tenant
    refund_id: str
    gateway: PaymentGateway
    request: RefundRequest
    now: datetime  # the customer's present (a test clock's time), for `finish` too


def get(session: Session, tenant: Tenant, refund_id: str) -> Refund:
    return lookup.require(session, tenant, Refund, refund_id, "refund")


def page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None, payment: str | None
) -> Page[Refund]:
    return repository.refunds_page(session, tenant, limit, starting_after, payment)


def of_customer(session: Session, tenant: Tenant, customer_id: str, limit: int) -> list[Refund]:
    """The customer's newest refunds, newest first."""
    return repository.refunds_of_customer(session, tenant, customer_id, limit)


def start(
    session: Session,
    tenant: Tenant,
    payment_id: str,
    amount: int | None,
    reason: CreditReason,
    now: datetime,
) -> PendingRefund:
    payment = lookup.referenced(session, tenant, Payment, payment_id, "payment", "/payment")
    repository.lock(session, payment)
    if payment.status != "succeeded":
        raise ConflictError(
            f"Payment '{payment.id}' is {payment.status}; only a succeeded payment is refunded."
        )
    if payment.gateway == "bank_transfer":
        raise ConflictError(
            f"Payment '{payment.id}' came by bank transfer: pay it back by transfer and record"
            " that with a credit note."
        )
    locks.hold_customer(session, tenant, payment.customer_id)
    customer = customers_repository.by_key(session, tenant.account_id, payment.customer_id)
    now = customers.now_for(session, tenant, customer, now)
    left = payment.amount - payment.amount_refunded
    if left <= 0:
        raise ConflictError(f"Payment '{payment.id}' has been refunded in full already.")
    amount = left if amount is None else amount
    if amount > left:
        raise invalid("/amount", f"at most {left}, what is left of the payment")
    gateway = processors.gateway_for(session, tenant, payment.gateway)
    refund = _recorded(session, tenant, payment, amount, reason, now)
    assert payment.reference is not None  # a succeeded charge has the processor's id
    request = RefundRequest(
        payment_reference=payment.reference,
        amount=Money(amount, payment.currency),
        idempotency_key=refund.idempotency_key,
        reason=reason,
    )
    return PendingRefund(tenant, refund.id, gateway, request, now)


def record_external(
    session: Session,
    tenant: Tenant,
    payment: Payment,
    amount: int,
    reference: str | None,
    now: datetime,
) -> Refund:
    """A refund made at the processor (its dashboard), learnt from its webhook: on record
    with a credit note like any other, already succeeded."""
    left = payment.amount - payment.amount_refunded
    if amount > left:
        log.error("payment %s: processor refunded %s, only %s was left", payment.id, amount, left)
        amount = left
    refund = _recorded(session, tenant, payment, amount, "other", now)
    refund.reference = reference
    settle(session, tenant, refund, RefundResult(status="succeeded", reference=reference), now)
    return refund


def _recorded(
    session: Session,
    tenant: Tenant,
    payment: Payment,
    amount: int,
    reason: CreditReason,
    now: datetime,
) -> Refund:
    note = credit_notes.create(
        session,
        tenant,
        CreditNoteCreate(invoice=payment.invoice_id, amount=amount, reason=reason),
        now,
        refund=True,
    )
    count = repository.refund_count(session, tenant, payment.id)
    refund = Refund(
        id=new_id("refund"),
        **tenant.row_keys(),
        payment_id=payment.id,
        invoice_id=payment.invoice_id,
        credit_note_id=note.id,
        gateway=payment.gateway,
        idempotency_key=f"{payment.id}-refund-{(count or 0) + 1}",
        amount=amount,
        currency=payment.currency,
        status="pending",
        reference=None,
        reason=reason,
        failure_message=None,
        created_at=now,
        updated_at=now,
    )
    session.add(refund)
    payment.amount_refunded += amount
    payment.updated_at = now
    session.flush()
    events.record(session, tenant, summary(refund, payloads.RefundCreated), now)
    return refund


def send(pending: PendingRefund) -> RefundResult | None:
    try:
        return pending.gateway.refund(pending.request)
    except GatewayTimeout:
        return None
    except GatewayError as error:
        return RefundResult(status="failed", failure_message=str(error))


def finish(session: Session, pending: PendingRefund, result: RefundResult | None) -> Refund:
    refund = repository.refund_by_key(session, pending.tenant.account_id, pending.refund_id)
    repository.lock(session, refund)
    settle(session, pending.tenant, refund, result, pending.now)
    return refund


def settle(
    session: Session, tenant: Tenant, refund: Refund, result: RefundResult | None, now: datetime
) -> None:
    """Record the processor's answer (None: none came; the refund stays `pending`)."""
    if refund.status != "pending" or result is None or result.status == "pending":
        if result is not None and result.reference:
            refund.reference = refund.reference or result.reference
        return
    refund.reference = result.reference or refund.reference
    refund.updated_at = now
    if result.status == "succeeded":
        refund.status = "succeeded"
        events.record(session, tenant, summary(refund, payloads.RefundSucceeded), now)
        return
    refund.status = "failed"
    refund.failure_message = result.failure_message
    payment = repository.payment_by_key(session, tenant.account_id, refund.payment_id)
    payment.amount_refunded -= refund.amount
    # The credit note stands; what it could not pay back is the customer's to spend.
    assert refund.credit_note_id is not None  # every refund is made with its credit note
    note = invoices_repository.credit_note_by_key(session, tenant.account_id, refund.credit_note_id)
    note.refunded -= refund.amount
    note.credited_to_balance += refund.amount
    balances.lock(session, tenant.account_id, [payment.customer_id])
    balances.add(
        session,
        tenant,
        payment.customer_id,
        refund.currency,
        refund.amount,
        "refund_failed",
        f"Refund {refund.id} failed: credit note {note.number}",
        now,
        invoice_id=refund.invoice_id,
        credit_note_id=note.id,
    )
    events.record(session, tenant, summary(refund, payloads.RefundFailed), now)
    events.record(session, tenant, outcomes.summary(payment, payloads.PaymentUpdated), now)


def summary(refund: Refund, kind: type[RefundT]) -> RefundT:
    return kind(
        id=refund.id,
        payment=refund.payment_id,
        invoice=refund.invoice_id,
        credit_note=refund.credit_note_id,
        amount=refund.amount,
        currency=refund.currency,
        status=refund.status,
        reason=refund.reason,
    )
