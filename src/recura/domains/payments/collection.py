"""Charging invoices, in three steps so that no fault can charge twice.

1. `start`, in a transaction: record attempt n of the invoice as `processing`, its key
   derived from (invoice, n), and commit.
2. `send`, outside any transaction: ask the processor, under that key.
3. `finish`, in a transaction: record the answer (`outcomes.apply`).

`charge_now` runs the three for a request, a page or a test clock; the worker's batches
(`collect_due`) do the same for many attempts at once.

A crash after 1 leaves a `processing` attempt, a timeout in 2 an `unknown` one; the
reconciler settles both by asking the processor, and meanwhile no new attempt starts.

An attempt still waiting for the customer (`requires_action`: a 3-D Secure challenge, a
payer's approval) could go through if they finish it late, so nothing new is charged on
its invoice until the processor has canceled it (`cancel`): before a customer pays again
(`abandon_waiting`), and before a due retry (`abandon_first`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from recura import staged
from recura.clock import Clock
from recura.core.money import Money
from recura.db.models import Invoice, Payment
from recura.db.unit_of_work import Units as Units  # where the worker's steps find it
from recura.domains.common.errors import ConflictError, DomainError
from recura.domains.common.lookup import find as lookup_row
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers
from recura.domains.invoices import repository as invoices
from recura.domains.invoices.issuing import SEND_INVOICE
from recura.domains.payments import locks, methods, outcomes, processors, repository
from recura.domains.subscriptions import repository as subscriptions
from recura.gateways.base import (
    ChargeRequest,
    ChargeResult,
    GatewayError,
    GatewayTimeout,
    PaymentGateway,
)

log = logging.getLogger(__name__)

BATCH = 100
RETRY_LATER = timedelta(minutes=15)
# How long one charge may take in all before its outcome counts as unknown.
DEADLINE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Pending:
    """An attempt recorded and committed, ready to be sent."""

    tenant: Tenant
    payment_id: str
    customer_id: str
    invoice_id: str
    gateway: PaymentGateway
    request: ChargeRequest
    reference: str | None = None  # the processor's id for it, once known
    # Made already and still waiting for the customer: to be canceled, not sent.
    abandon: bool = False


def idempotency_key(invoice_id: str, attempt: int) -> str:
    return f"{invoice_id}-attempt-{attempt}"


GatewayOf = Callable[[Session, Tenant, str], PaymentGateway]


@dataclass(slots=True)
class Batch:
    """What starting many attempts reads once for all of them: which invoices have an
    attempt unsettled, and each account's processors as found."""

    unsettled: set[tuple[str, str]]
    # The rows read ahead: held here, as the session holds its rows only while they are
    # referenced, and one let go would be read again.
    rows: list[object] = field(default_factory=list)
    gateways: dict[tuple[Tenant, str], PaymentGateway] = field(default_factory=dict)

    def gateway_of(self, session: Session, tenant: Tenant, name: str) -> PaymentGateway:
        if (tenant, name) not in self.gateways:
            self.gateways[tenant, name] = processors.gateway_for(session, tenant, name)
        return self.gateways[tenant, name]


def read_ahead(session: Session, claimed: Sequence[tuple[Tenant, Invoice]]) -> Batch:
    """Lock the customers and read what `start` needs of each claimed invoice, a
    statement for all of them instead of several for each: the customers and their
    default methods are in the session afterwards, and the invoices with an unsettled
    attempt in the batch."""
    locks.hold_customers(session, [(tenant, i.customer_id) for tenant, i in claimed])
    keys = [(i.account_id, i.id) for _, i in claimed]
    found = customers.customers_by_key(session, [(i.account_id, i.customer_id) for _, i in claimed])
    defaults = [
        (c.account_id, c.default_payment_method_id)
        for c in found.values()
        if c.default_payment_method_id is not None
    ]
    methods_found = repository.methods_by_key(session, defaults)
    unsettled = repository.invoices_with_unsettled(session, keys, outcomes.UNSETTLED)
    return Batch(unsettled, [*found.values(), *methods_found.values()])


def start(
    session: Session,
    tenant: Tenant,
    invoice: Invoice,
    now: datetime,
    *,
    asked: bool = False,
    batch: Batch | None = None,
) -> Pending | None:
    """Attempt n+1 for an open invoice; None when nothing is to be charged now. `asked`: the
    customer or operator asked for it (pay now), rather than a due retry. `batch`: what
    `read_ahead` read for the invoice and the others started with it."""
    locks.hold_customer(session, tenant, invoice.customer_id)
    invoice.next_payment_attempt_at = None
    due = invoice.amount_due - invoice.amount_paid
    if invoice.status != "open" or due <= 0:
        return None
    if batch is None:
        busy = repository.invoices_with_unsettled(
            session, [(invoice.account_id, invoice.id)], outcomes.UNSETTLED
        )
        batch = Batch(busy)
    if (invoice.account_id, invoice.id) in batch.unsettled:
        return None
    if invoice.collection_method == SEND_INVOICE and not asked:
        # Paid by the customer's own transfer, never charged unasked: a retry of one in
        # dunning (its transfer came back) only finds it still unpaid, until the final action.
        outcomes.failed_attempt(session, tenant, invoice, "unpaid", now)
        return None
    customer = customers.by_key(session, tenant.account_id, invoice.customer_id)
    method = methods.default_of(session, tenant, customer)
    if method is None:
        outcomes.failed_attempt(session, tenant, invoice, "no_payment_method", now)
        return None
    gateway = batch.gateway_of(session, tenant, method.gateway)
    invoice.attempt_count += 1
    payment = outcomes.new_payment(
        session,
        tenant,
        invoice,
        due,
        now,
        payment_method_id=method.id,
        gateway=method.gateway,
        attempt=invoice.attempt_count,
        idempotency_key=idempotency_key(invoice.id, invoice.attempt_count),
        status="processing",
        flush=False,
    )
    request = request_for(payment, method.reference, method.processor_customer, invoice.number)
    return Pending(tenant, payment.id, invoice.customer_id, invoice.id, gateway, request)


def request_for(
    payment: Payment, method: str, processor_customer: str | None, number: str | None
) -> ChargeRequest:
    assert payment.idempotency_key is not None
    return ChargeRequest(
        amount=Money(payment.amount, payment.currency),
        idempotency_key=payment.idempotency_key,
        method=method,
        processor_customer=processor_customer,
        description=f"Invoice {number or payment.invoice_id}",
        metadata={
            "recura_account": payment.account_id,
            "recura_invoice": payment.invoice_id,
            "recura_payment": payment.id,
        },
    )


def pending_of(session: Session, tenant: Tenant, payment: Payment) -> Pending:
    """An attempt already made, as it was sent: to ask the processor about it under its own
    key. Raises DomainError when its processor is no longer connected."""
    method = repository.method_by_key(session, payment.account_id, payment.payment_method_id)
    invoice = invoices.by_key(session, payment.account_id, payment.invoice_id)
    request = request_for(payment, method.reference, method.processor_customer, invoice.number)
    gateway = processors.gateway_for(session, tenant, payment.gateway)
    return Pending(
        tenant,
        payment.id,
        payment.customer_id,
        payment.invoice_id,
        gateway,
        request,
        payment.reference,
    )


WAITING = ("requires_action", *outcomes.UNSETTLED)


def ask_about(units: Units, tenant: Tenant, payment_id: str, now: datetime) -> ChargeResult | None:
    """What the processor says now of an attempt waiting for the customer (3-D Secure) or
    for an answer, recorded as any answer is (`finish`): read, asked with no transaction
    open, recorded. Only asked about, never sent again: the customer may still be
    confirming it. None: nothing to ask (settled already, or not the processor's), or no
    answer."""
    with units() as session:
        payment = lookup_row(session, tenant, Payment, payment_id)
        if payment is None or payment.status not in WAITING or payment.idempotency_key is None:
            return None
        pending = pending_of(session, tenant, payment)
    try:
        found = pending.gateway.lookup(pending.request.idempotency_key, pending.reference)
    except (GatewayTimeout, GatewayError):
        log.info("no answer about payment %s", payment_id)
        return None
    if found.status == "not_found":
        return None
    with units() as session:
        finish(session, pending, found, now)
    return found


def send(pending: Pending) -> ChargeResult | None:
    """The processor's answer, or None when there was none (the outcome is unknown)."""
    try:
        return pending.gateway.charge(pending.request)
    except GatewayTimeout:
        return None
    except GatewayError as error:  # refused before anything was charged
        return ChargeResult(
            status="failed", failure_code="processing_error", failure_message=str(error)
        )


def finish(
    session: Session, pending: Pending, result: ChargeResult | None, now: datetime
) -> Payment:
    payment = repository.lock_payment(session, pending.tenant.account_id, pending.payment_id)
    outcomes.apply(session, pending.tenant, payment, result, now)
    if pending.abandon and result is not None:
        _retry_after_abandoning(session, pending, now)
    return payment


def _retry_after_abandoning(session: Session, pending: Pending, now: datetime) -> None:
    """The processor has answered about an attempt canceled before a retry (`abandon_first`):
    its invoice, still open and with nothing else waiting, is retried now rather than at
    the later time its claim set."""
    key = (pending.tenant.account_id, pending.invoice_id)
    (invoice,) = invoices.lock_many(session, [key])
    if invoice.status != "open" or invoice.next_payment_attempt_at is None:
        return
    if not repository.invoices_with_unsettled(session, [key], ("requires_action",)):
        invoice.next_payment_attempt_at = now


def finish_many(
    session: Session, answered: Sequence[tuple[Pending, ChargeResult | None]], now: datetime
) -> None:
    """`finish` of each answer, in one transaction. What recording one answer locks is
    taken for all at once and in the same order (payment, customer, invoice,
    subscription): each `finish` then finds its rows locked in the session."""
    pendings = [pending for pending, _ in answered]
    repository.lock_payments(session, [(p.tenant.account_id, p.payment_id) for p in pendings])
    locks.hold_customers(session, [(p.tenant, p.customer_id) for p in pendings])
    found = invoices.lock_many(session, [(p.tenant.account_id, p.invoice_id) for p in pendings])
    subscriptions.lock_many(
        session,
        [(i.account_id, i.subscription_id) for i in found if i.subscription_id is not None],
    )
    for pending, answer in answered:
        finish(session, pending, answer, now)


Ask = Callable[[Pending], ChargeResult | None]


def cancel(pending: Pending) -> ChargeResult | None:
    """Cancel at the processor an attempt still waiting for the customer, so that finishing
    it late moves no money: `failed` once canceled, `succeeded` if they finished it first.
    None when the processor cannot say."""
    try:
        if pending.reference is None:
            raise GatewayError("the processor never named it")
        return pending.gateway.cancel(pending.reference)
    except (GatewayTimeout, GatewayError) as error:
        log.warning("payment %s: could not cancel: %s", pending.payment_id, error)
        return None


def abandon_first(
    session: Session, claimed: Sequence[tuple[Tenant, Invoice]], now: datetime
) -> tuple[list[Pending], list[tuple[Tenant, Invoice]]]:
    """Of the invoices due for a retry on the stored method, those with an attempt still
    waiting for the customer are not charged yet: the customer could finish it after the
    retry, and pay twice. Their waiting attempts are returned, to be canceled (`cancel`)
    with no transaction open, and each such invoice waits RETRY_LATER meanwhile: the
    answer, once recorded (`finish`), brings its retry back to now (or, `succeeded`, pays
    it), and without one it is simply tried again later, nothing charged and no failure
    told. Returns the attempts to cancel and the invoices to start."""
    charged = [
        (i.account_id, i.id)
        for _, i in claimed
        if i.status == "open"
        and i.amount_due > i.amount_paid
        and i.collection_method != SEND_INVOICE  # never charged unasked: nothing to cancel
    ]
    found = repository.waiting_of_invoices(session, charged) if charged else []
    if not found:
        return [], list(claimed)
    of = {(i.account_id, i.id): (tenant, i) for tenant, i in claimed}
    waiting = []
    for payment in found:
        tenant, invoice = of[payment.account_id, payment.invoice_id]
        invoice.next_payment_attempt_at = now + RETRY_LATER
        try:
            waiting.append(replace(pending_of(session, tenant, payment), abandon=True))
        except DomainError:  # its processor is no longer connected: tried again later
            log.exception("cannot cancel payment %s before retrying", payment.id)
    held = {(p.account_id, p.invoice_id) for p in found}
    return waiting, [(t, i) for t, i in claimed if (i.account_id, i.id) not in held]


def abandon_waiting(units: Units, tenant: Tenant, customer_id: str, now: datetime) -> None:
    """Before the customer pays again on the page: cancel at the processor each attempt
    still waiting for them, so that finishing an abandoned 3-D Secure challenge later
    cannot charge a second time. Each answer is recorded as any is (`finish`): `failed`
    once canceled, or `succeeded` if they finished it first, which pays its invoice (and
    the new attempt then finds nothing left to charge). Raises ConflictError when the
    processor cannot say: nothing new is charged while one might still go through."""
    with units() as session:
        waiting = [
            pending_of(session, tenant, payment)
            for payment in repository.waiting_of_customer(session, tenant, customer_id)
        ]
    for pending in waiting:
        answer = cancel(pending)
        if answer is None:
            raise ConflictError(
                f"Payment '{pending.payment_id}' is still waiting for the customer's "
                "confirmation and could not be canceled; try again in a minute."
            )
        with units() as session:
            finish(session, pending, answer, now)


def charge_now(
    units: Units,
    begin: Callable[[Session], Sequence[Pending]],
    now: datetime,
    *,
    ask: Ask = send,
    customer: tuple[Tenant, str] | None = None,
) -> list[Payment]:
    """The one way to charge at once: `begin` starts the attempts in a unit of work, which
    commits; each is sent with no transaction open, then recorded in a unit of its own.
    `customer`: the (tenant, customer id) paying on a page or through the API, whose
    attempts still waiting for them are abandoned first (`abandon_waiting`). Returns the
    recorded payments, in `begin`'s order. An attempt `begin` gives to abandon
    (`abandon_first`) is canceled rather than asked about."""
    if customer is not None:
        abandon_waiting(units, customer[0], customer[1], now)
    with units() as session:
        started = list(begin(session))
    recorded = []
    for pending in started:
        try:
            result = cancel(pending) if pending.abandon else ask(pending)
        except Exception:
            # It may have charged: unknown, for the reconciler to ask about.
            log.exception("no usable answer for payment %s", pending.payment_id)
            result = None
        with units() as session:
            recorded.append(finish(session, pending, result, now))
    return recorded


class Collecting(staged.Kind[Pending, ChargeResult | None]):
    """Due attempts as a staged batch: claimed by starting them (recorded `processing`),
    sent under their keys, finished. One the batch could not send in time stays
    `processing`, and the reconciler settles it once its claim has expired. A due invoice
    with an attempt still waiting for the customer has that attempt canceled in this batch
    instead, and is charged in a later one (`abandon_first`)."""

    name = "payments"

    def __init__(self, deadline: float = DEADLINE_SECONDS) -> None:
        self.deadline = deadline

    def claim(self, session: Session, now: datetime, limit: int) -> list[Pending]:
        claimed = invoices.lock_due_for_charging(session, now, limit)
        self.taken = len(claimed)
        waiting, claimed = abandon_first(session, claimed, now)
        try:
            with session.begin_nested():
                batch = read_ahead(session, claimed)
                started = [start(session, t, i, now, batch=batch) for t, i in claimed]
                session.flush()
            return waiting + [pending for pending in started if pending is not None]
        except Exception:
            log.warning("could not start %d charges at once; one by one", len(claimed))
        return waiting + self._one_by_one(session, claimed, now)

    def _one_by_one(
        self, session: Session, claimed: Sequence[tuple[Tenant, Invoice]], now: datetime
    ) -> list[Pending]:
        started = []
        for tenant, invoice in claimed:
            try:
                with session.begin_nested():
                    pending = start(session, tenant, invoice, now)
                    session.flush()
            except Exception:
                # One invoice that cannot be charged (a processor no longer connected, say)
                # waits and is tried again later; it does not hold up the others.
                log.exception("could not start charging invoice %s", invoice.id)
                invoice.next_payment_attempt_at = now + RETRY_LATER
                continue
            if pending is not None:
                started.append(pending)
        return started

    def send(self, item: Pending, deadline: staged.Deadline) -> ChargeResult | None:
        return deadline.call(lambda: cancel(item) if item.abandon else send(item))

    def unanswered(self, item: Pending, error: Exception) -> ChargeResult | None:
        # No usable answer (the deadline passed, or the client failed in a way it does not
        # report as refused or timed out): it may have charged, so the outcome is unknown
        # and the reconciler asks. One to abandon stays waiting, its invoice tried later.
        return None

    def record(
        self, session: Session, item: Pending, answer: ChargeResult | None, now: datetime
    ) -> None:
        finish(session, item, answer, now)

    def record_many(
        self,
        session: Session,
        answered: Sequence[tuple[Pending, ChargeResult | None]],
        now: datetime,
    ) -> None:
        finish_many(session, answered, now)


def collect_due(
    units: Units, clock: Clock, limit: int = BATCH, deadline: float = DEADLINE_SECONDS
) -> int:
    """The worker's step: one staged batch of due attempts. Returns how many invoices were
    claimed."""
    return staged.run(units, clock, Collecting(deadline), limit)


def pay_now(session: Session, tenant: Tenant, invoice: Invoice, now: datetime) -> Pending:
    """Start an attempt at once (the operator's or the customer's "pay now")."""
    if invoice.status != "open":
        raise ConflictError(
            f"Invoice '{invoice.id}' is {invoice.status}; only an open invoice can be paid."
        )
    if invoice.amount_due - invoice.amount_paid <= 0:
        raise ConflictError(f"Invoice '{invoice.id}' has nothing left to pay.")
    busy = repository.invoices_with_unsettled(
        session, [(invoice.account_id, invoice.id)], outcomes.UNSETTLED
    )
    if busy:
        raise ConflictError(
            f"A payment of invoice '{invoice.id}' is still being processed; its outcome is"
            " awaited before another attempt."
        )
    customer = customers.by_key(session, tenant.account_id, invoice.customer_id)
    if methods.default_of(session, tenant, customer) is None:
        raise ConflictError(f"Customer '{customer.id}' has no default payment method.")
    pending = start(session, tenant, invoice, now, asked=True, batch=Batch(busy))
    assert pending is not None
    return pending


def send_or_lookup(pending: Pending) -> ChargeResult | None:
    """`send`, asking once more when there was no answer: for test clocks, whose simulated
    time has no reconciler pass between one instant and the next."""
    result = send(pending)
    return result if result is not None else lookup(pending)


def lookup(pending: Pending) -> ChargeResult | None:
    """Ask the processor what became of the attempt; if it never arrived, send it again
    under the same key, which can charge at most once. None: still no answer."""
    try:
        found = pending.gateway.lookup(pending.request.idempotency_key, pending.reference)
    except (GatewayTimeout, GatewayError):
        return None
    return send(pending) if found.status == "not_found" else found
