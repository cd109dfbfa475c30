"""Returned bank transfers: money that paid invoices going back to the payer.

A bank reports it as a reversal (RvslInd) or simply as a debit returning the transfer;
either way it is recognised by quoting a reference the transfer paid with and moving the
same amount in the same currency. Its payments are reversed, the invoices they settled
are open again for what is due, credit the transfer left on the customer's balance is
taken back, and each reopened invoice enters dunning as a failed payment would: the
account's retry schedule, then its final action for the subscription.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import BankTransaction, Invoice
from recura.domains.balances import service as balances
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers_repository
from recura.domains.customers import service as customers
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.invoices import service as invoices
from recura.domains.payments import locks, outcomes, repository
from recura.gateways.bank_transfer.statement import Entry

PAID = ("matched", "partial", "overpaid")
# Why a reopened invoice is in dunning, as a declined card's failure code says why.
RETURNED = "transfer_returned"


def returns_transfer(entry: Entry) -> bool:
    """Booked money out, the only entries that may take a transfer back (a bank's reversal
    of a credit is a debit with RvslInd)."""
    return entry.booked and not entry.credit


def reverse(
    session: Session, tenant: Tenant, transaction: BankTransaction, entry: Entry, now: datetime
) -> bool:
    """Undo the transfer `entry` returns, if Recura matched one; `transaction` is the
    entry's own record. Returns whether it found one."""
    original = _returned(session, tenant, transaction, entry)
    if original is None:
        return False
    original.status = "reversed"
    transaction.status = "reversal"
    transaction.reversal_of = original.id
    transaction.applied = list(original.applied)
    transaction.matched_at = now
    by_invoice: dict[str, Invoice] = {}
    for applied in original.applied:
        payment = repository.payment_by_key(session, tenant.account_id, applied["payment"])
        locks.hold_customer(session, tenant, payment.customer_id)
        payment.status = "reversed"
        payment.updated_at = now
        events.record(session, tenant, outcomes.summary(payment, payloads.PaymentReversed), now)
        invoice = invoices.get_for_update(session, tenant, applied["invoice"])
        if invoices.take_back_payment(session, tenant, invoice, applied["amount"], now):
            by_invoice[invoice.id] = invoice
    if original.to_balance:
        last = invoices.get_for_update(session, tenant, original.applied[-1]["invoice"])
        balances.lock(session, tenant.account_id, [last.customer_id])
        balances.add(
            session,
            tenant,
            last.customer_id,
            original.currency,
            -original.to_balance,
            "transfer_returned",
            f"Transfer {original.entry_ref} returned",
            now,
            invoice_id=last.id,
        )
    for invoice in by_invoice.values():
        # Dunning runs on the customer's time, which a test clock may have moved.
        customer = customers_repository.by_key(session, tenant.account_id, invoice.customer_id)
        at = customers.now_for(session, tenant, customer, now)
        outcomes.failed_attempt(session, tenant, invoice, RETURNED, at)
    return True


def _returned(
    session: Session, tenant: Tenant, transaction: BankTransaction, entry: Entry
) -> BankTransaction | None:
    if not entry.references:
        return None
    candidates = repository.paid_transfers(
        session, tenant, transaction.account_number, entry.amount.minor, entry.amount.currency, PAID
    )
    # The oldest first: a transfer paid twice by mistake and returned once gives back one.
    # Read without a lock (every paid transfer of a common amount would stay locked until
    # the import commits); only the one found is locked, and read again under the lock.
    for candidate in candidates:
        if set(candidate.references) & set(entry.references):
            repository.lock(session, candidate)
            if candidate.status in PAID:
                return candidate
    return None
