"""What a charge's outcome does: to the payment, its invoice, the dunning schedule and the
subscription. The collector, the reconciler and the processors' webhooks all come here, so
an outcome learnt twice (an answer and then its webhook) is applied once."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from recura.core import dunning
from recura.core.money import Money
from recura.db.models import Invoice, Payment
from recura.domains.accounts import service as accounts
from recura.domains.balances import service as balances
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers_repository
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.invoices import service as invoices
from recura.domains.payments import locks
from recura.domains.subscriptions import settlement
from recura.gateways.base import ChargeResult
from recura.ids import new_id

PaymentT = TypeVar("PaymentT", bound=payloads.PaymentData)

log = logging.getLogger(__name__)

UNSETTLED = ("processing", "unknown")
FAILED = ("failed", "requires_action")


_UNSET_AT_FIRST = (
    "payment_method_id",
    "attempt",
    "idempotency_key",
    "reference",
    "failure_code",
    "failure_message",
    "action_url",
    "status_changed_at",
    "settled_at",
)


def new_payment(
    session: Session,
    tenant: Tenant,
    invoice: Invoice,
    amount: int,
    now: datetime,
    *,
    flush: bool = True,
    **fields: Any,
) -> Payment:
    """A payment of `invoice`, added, flushed (unless `flush` is false: a batch flushes
    its payments together) and recorded as `payment.created`; `fields` say how (gateway,
    status, attempt, ...)."""
    unset = dict.fromkeys(_UNSET_AT_FIRST)
    payment = Payment(
        id=new_id("payment"),
        **tenant.row_keys(),
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        amount=amount,
        currency=invoice.currency,
        amount_refunded=0,
        amount_disputed=0,
        created_at=now,
        updated_at=now,
        **(unset | fields),
    )
    session.add(payment)
    if flush:
        session.flush()
    events.record(session, tenant, summary(payment, payloads.PaymentCreated), now)
    return payment


def summary(payment: Payment, kind: type[PaymentT]) -> PaymentT:
    """What a payment event carries."""
    return kind(
        id=payment.id,
        invoice=payment.invoice_id,
        customer=payment.customer_id,
        payment_method=payment.payment_method_id,
        gateway=payment.gateway,
        attempt=payment.attempt,
        amount=payment.amount,
        currency=payment.currency,
        status=payment.status,
        failure_code=payment.failure_code,
        amount_refunded=payment.amount_refunded,
    )


def apply(
    session: Session,
    tenant: Tenant,
    payment: Payment,
    result: ChargeResult | None,
    now: datetime,
    *,
    changed_at: datetime | None = None,
) -> None:
    """Record the processor's answer; None is no answer (the payment becomes `unknown`).

    `changed_at` is when the processor says the status changed (a webhook's time): an
    answer older than what is recorded is ignored, and a succeeded payment stays so.
    """
    if payment.status == "succeeded":
        return
    last = payment.status_changed_at
    if changed_at is not None and last is not None and changed_at < last:
        return
    if result is None or result.status == "not_found":
        if payment.status == "processing":
            payment.status = "unknown"
            payment.updated_at = now
        return
    locks.hold_customer(session, tenant, payment.customer_id)
    payment.reference = result.reference or payment.reference
    payment.status_changed_at = changed_at or now
    payment.updated_at = now
    expected = Money(payment.amount, payment.currency)
    if result.status == "succeeded" and result.amount not in (None, expected):
        # Never settle an invoice on an amount we did not ask for; a person looks at it.
        log.error("payment %s: processor charged %s, not %s", payment.id, result.amount, expected)
        payment.status = "unknown"
        payment.failure_code, payment.failure_message = "amount_mismatch", str(result.amount)
        return
    if result.status == "pending":
        payment.status = "processing"
        return
    if result.status == "succeeded":
        _succeeded(session, tenant, payment, now)
        return
    if payment.status in FAILED:
        # Already failed: a repeated failure (a webhook after the answer) is not news, but
        # one waiting for the customer that can no longer be confirmed (canceled, or the
        # challenge failed) has failed for good, and its link leads nowhere now.
        if payment.status == "requires_action" and result.status == "failed":
            payment.status = "failed"
            payment.failure_code = result.failure_code
            payment.failure_message = result.failure_message
            payment.action_url = None
            events.record(session, tenant, summary(payment, payloads.PaymentFailed), now)
        return
    payment.status = result.status
    payment.failure_code = result.failure_code
    payment.failure_message = result.failure_message
    payment.action_url = result.action_url
    payment.settled_at = now
    events.record(session, tenant, summary(payment, payloads.PaymentFailed), now)
    invoice = invoices.get_for_update(session, tenant, payment.invoice_id)
    customer = customers_repository.by_key(session, tenant.account_id, payment.customer_id)
    # A card saved while this attempt was unsettled has not been tried: it is, at once.
    fresh = customer.default_payment_method_id not in (None, payment.payment_method_id)
    code = payment.failure_code or "card_declined"
    failed_attempt(session, tenant, invoice, code, now, retry_now=fresh)


def _succeeded(session: Session, tenant: Tenant, payment: Payment, now: datetime) -> None:
    was_failed = payment.status in FAILED
    payment.status = "succeeded"
    payment.failure_code = payment.failure_message = payment.action_url = None
    payment.settled_at = now
    events.record(session, tenant, summary(payment, payloads.PaymentSucceeded), now)
    if was_failed:
        # A payment we recorded as failed went through after all (a 3-D Secure challenge
        # completed later): the money is there, so it counts like any other.
        log.info("payment %s succeeded after having failed", payment.id)
    invoice = invoices.get_for_update(session, tenant, payment.invoice_id)
    receive(session, tenant, invoice, payment.amount, f"Payment {payment.id}", now)


def receive(
    session: Session, tenant: Tenant, invoice: Invoice, amount: int, source: str, now: datetime
) -> int:
    """Money in for an invoice: paid in full or in part; what it did not need (it was paid
    already, or this was more than due) goes to the customer's balance. Returns that excess."""
    was_open = invoice.status == "open"
    excess = invoices.record_payment(session, tenant, invoice, amount, now)
    if excess:
        balances.lock(session, tenant.account_id, [invoice.customer_id])
        balances.add(
            session,
            tenant,
            invoice.customer_id,
            invoice.currency,
            excess,
            "overpayment",
            f"{source}: more than invoice {invoice.number or invoice.id} needed",
            now,
            invoice_id=invoice.id,
        )
    if was_open and invoice.status == "paid":
        settlement.settle(session, tenant, invoice, now)
    return excess


def failed_attempt(
    session: Session,
    tenant: Tenant,
    invoice: Invoice,
    code: str,
    now: datetime,
    *,
    retry_now: bool = False,
) -> None:
    """An attempt failed (or could not be made): plan the next one, or end dunning."""
    account = accounts.get_account(session, tenant.account_id)
    first = invoice.first_failed_at or now
    invoice.first_failed_at = first
    retry = now if retry_now else dunning.next_retry_at(first, now, account.retry_days)
    invoice.next_payment_attempt_at = retry
    invoice.updated_at = now
    failed = payloads.InvoicePaymentFailed(
        **invoices.summary(invoice),
        failure_code=code,
        attempt_count=invoice.attempt_count,
        next_payment_attempt=retry,
    )
    events.record(session, tenant, failed, now)
    settlement.failed(session, tenant, invoice, now)
    if retry is None:
        settlement.retries_exhausted(session, tenant, invoice, account.dunning_final_action, now)
