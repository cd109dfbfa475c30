"""Bank transfers: camt.053 statements imported, each incoming credit matched to open invoices
by the reference it quotes and its amount.

A statement is kept by its key and each transfer by the bank's entry reference, so importing
a statement twice, or two statements that overlap, counts every transfer once. A transfer
that pays more than is due credits the customer's balance; one that cannot be matched is
listed for a person to match by hand.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from recura.core.bank_matching import IncomingTransfer, Match, OpenInvoice, match_transfer
from recura.core.money import Money
from recura.db.models import BankStatement, BankTransaction, Invoice, Payment
from recura.domains.accounts import service as accounts
from recura.domains.common import lookup
from recura.domains.common.errors import ConflictError, invalid
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant
from recura.domains.events import service as events
from recura.domains.invoices import service as invoices
from recura.domains.payments import locks, outcomes
from recura.gateways.bank_transfer import camt053
from recura.gateways.bank_transfer.statement import Entry, Statement, StatementError
from recura.ids import new_id

MAX_STATEMENT_BYTES = 20 * 1024 * 1024


def import_statements(
    session: Session, tenant: Tenant, data: bytes, now: datetime
) -> list[BankStatement]:
    """Import every statement in a camt.053 file; one imported before changes nothing."""
    if len(data) > MAX_STATEMENT_BYTES:
        raise invalid("", f"a statement file is at most {MAX_STATEMENT_BYTES // 2**20} MiB")
    try:
        parsed = camt053.parse_statements(data)
    except StatementError as error:
        raise invalid("", f"not a camt.053 statement: {error}") from None
    account = accounts.get_account(session, tenant.account_id)
    return [_import(session, tenant, account.iban, s, now) for s in parsed]


def _import(
    session: Session, tenant: Tenant, iban: str | None, statement: Statement, now: datetime
) -> BankStatement:
    key = camt053.statement_key(statement)
    stmt = tenant.scope(select(BankStatement), BankStatement)
    known = session.scalar(stmt.where(BankStatement.statement_key == key))
    if known is not None:
        return known
    if iban is not None and statement.iban != iban:
        raise invalid("", f"the statement is for {statement.iban}, not the account's IBAN {iban}")
    row = BankStatement(
        id=new_id("bank_statement"),
        **tenant.row_keys(),
        statement_key=key,
        message_id=statement.message_id,
        statement_id=statement.statement_id,
        iban=statement.iban,
        currency=statement.currency,
        issued_at=statement.created_at,
        entry_count=len(statement.entries),
        matched_count=0,
        created_at=now,
    )
    session.add(row)
    session.flush()
    for entry in statement.entries:
        transaction = _transaction(session, tenant, row, entry, now)
        if transaction is not None and transaction.status in ("matched", "partial", "overpaid"):
            row.matched_count += 1
    events.record(session, tenant, "bank_statement.imported", row.id, _summary(row), now)
    return row


def _transaction(
    session: Session, tenant: Tenant, statement: BankStatement, entry: Entry, now: datetime
) -> BankTransaction | None:
    seen = tenant.scope(select(BankTransaction.id), BankTransaction).where(
        BankTransaction.iban == statement.iban, BankTransaction.entry_ref == entry.entry_ref
    )
    if session.scalar(seen) is not None:
        return None  # in an earlier, overlapping statement
    transaction = BankTransaction(
        id=new_id("bank_transaction"),
        **tenant.row_keys(),
        statement_id=statement.id,
        iban=statement.iban or "",
        entry_ref=entry.entry_ref,
        booked_on=entry.booked_on,
        amount=entry.amount.minor,
        currency=entry.amount.currency,
        references=list(entry.references),
        remittance=entry.remittance[:1000],
        debtor_name=entry.debtor_name,
        debtor_iban=entry.debtor_iban,
        status="ignored",
        reason=None,
        applied=[],
        to_balance=0,
        matched_at=None,
        created_at=now,
    )
    session.add(transaction)
    if not entry.pays_invoices:
        transaction.reason = "not a booked incoming transfer"
        return transaction
    candidates = _open_invoices(session, tenant, entry.references)
    open_ = [
        OpenInvoice(
            i.id, i.payment_reference or "", Money(i.amount_due - i.amount_paid, i.currency)
        )
        for i in candidates
    ]
    decision = match_transfer(IncomingTransfer(entry.references, entry.amount), open_)
    _apply(session, tenant, transaction, decision, {i.id: i for i in candidates}, now)
    return transaction


def _open_invoices(session: Session, tenant: Tenant, refs: tuple[str, ...]) -> list[Invoice]:
    if not refs:
        return []
    stmt = tenant.scope(select(Invoice), Invoice).where(
        Invoice.payment_reference.in_(refs), Invoice.status == "open"
    )
    return list(session.scalars(stmt.with_for_update()))


def _apply(
    session: Session,
    tenant: Tenant,
    transaction: BankTransaction,
    decision: Match,
    by_id: dict[str, Invoice],
    now: datetime,
) -> None:
    if decision.outcome == "unmatched":
        transaction.status = "unmatched"
        transaction.reason = decision.reason
        return
    transaction.status = decision.outcome
    transaction.matched_at = now
    applied = []
    for allocation in decision.allocations:
        invoice = by_id[allocation.invoice_id]
        payment = _received(session, tenant, transaction, invoice, allocation.applied.minor, now)
        applied.append({"invoice": invoice.id, "payment": payment.id, "amount": payment.amount})
    if decision.excess.minor:
        # Excess on the last invoice's customer: it is whose reference came last.
        last = by_id[decision.allocations[-1].invoice_id]
        outcomes.receive(
            session, tenant, last, decision.excess.minor, f"Transfer {transaction.entry_ref}", now
        )
        transaction.to_balance = decision.excess.minor
    transaction.applied = applied


def _received(
    session: Session,
    tenant: Tenant,
    transaction: BankTransaction,
    invoice: Invoice,
    amount: int,
    now: datetime,
) -> Payment:
    locks.hold_customer(session, tenant, invoice.customer_id)
    payment = outcomes.new_payment(
        session,
        tenant,
        invoice,
        amount,
        now,
        gateway="bank_transfer",
        status="succeeded",
        reference=transaction.entry_ref,
        status_changed_at=now,
        settled_at=now,
    )
    events.record(session, tenant, "payment.succeeded", payment.id, outcomes.summary(payment), now)
    outcomes.receive(session, tenant, invoice, amount, f"Transfer {transaction.entry_ref}", now)
    return payment


def match_by_hand(
    session: Session, tenant: Tenant, transaction_id: str, invoice_id: str, now: datetime
) -> BankTransaction:
    """An operator's decision for a transfer that matched nothing: it pays this invoice (what
    exceeds the amount due goes to the customer's balance)."""
    transaction = lookup.require(
        session, tenant, BankTransaction, transaction_id, "bank transaction"
    )
    session.refresh(transaction, with_for_update=True)
    if transaction.status != "unmatched":
        raise ConflictError(
            f"Bank transaction '{transaction.id}' is {transaction.status}; only an unmatched"
            " one is matched by hand."
        )
    invoice = invoices.get_for_update(session, tenant, invoice_id, pointer="/invoice")
    if invoice.status != "open":
        raise invalid("/invoice", f"invoice '{invoice.id}' is {invoice.status}, not open")
    if invoice.currency != transaction.currency:
        raise invalid(
            "/invoice",
            f"invoice '{invoice.id}' is in {invoice.currency},"
            f" the transfer in {transaction.currency}",
        )
    due = Money(invoice.amount_due - invoice.amount_paid, invoice.currency)
    decision = match_transfer(
        IncomingTransfer(("MANUAL",), Money(transaction.amount, transaction.currency)),
        [OpenInvoice(invoice.id, "MANUAL", due)],
    )
    transaction.reason = None
    _apply(session, tenant, transaction, decision, {invoice.id: invoice}, now)
    return transaction


def transactions(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None, status: str | None
) -> Page[BankTransaction]:
    stmt = tenant.scope(select(BankTransaction), BankTransaction)
    if status is not None:
        stmt = stmt.where(BankTransaction.status == status)
    return paginate(session, stmt, BankTransaction, limit, starting_after)


def _summary(row: BankStatement) -> dict[str, Any]:
    return {
        "id": row.id,
        "statement_id": row.statement_id,
        "iban": row.iban,
        "entry_count": row.entry_count,
        "matched_count": row.matched_count,
    }
