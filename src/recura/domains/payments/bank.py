"""Bank transfers: camt.053 statements imported, each incoming credit matched to open invoices
by the reference it quotes and its amount.

A statement is kept by its key and each entry by its identity (Entry.entry_ref), so
importing a statement twice, or two statements that overlap, counts every entry once. A
transfer that pays more than is due credits the customer's balance; one that cannot be
matched is listed for a person to match by hand; one that comes back reverses what it paid
(bank_reversals). Statements for accounts the merchant has not registered are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from recura.core.bank_matching import IncomingTransfer, Match, OpenInvoice, match_transfer
from recura.core.money import Money
from recura.db.models import BankStatement, BankTransaction, Invoice, Payment
from recura.domains.accounts import bank_accounts
from recura.domains.common import lookup
from recura.domains.common.errors import ConflictError, invalid
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.invoices import repository as invoices_repository
from recura.domains.invoices import service as invoices
from recura.domains.payments import bank_reversals, locks, outcomes, repository
from recura.gateways.bank_transfer import camt053
from recura.gateways.bank_transfer.statement import BOOKED, Entry, Statement, StatementError
from recura.ids import new_id

MAX_STATEMENT_BYTES = 20 * 1024 * 1024
# Entries between checkpoints: some 10 ms each on SQLite on a busy 2-core machine.
CHUNK = 50


@dataclass(frozen=True, slots=True)
class Imported:
    """What a file held: the merchant's statements (imported now or before), and those of
    accounts the merchant has not registered, left out."""

    statements: list[BankStatement]
    skipped: list[Statement]


def import_statements(
    session: Session,
    tenant: Tenant,
    data: bytes,
    now: datetime,
    checkpoint: Callable[[], None] | None = None,
) -> Imported:
    """Import every statement of the merchant's accounts in a camt.053 file; one imported
    before changes nothing. With a `checkpoint` (the caller's commit), it is called every
    CHUNK entries: on SQLite a long file would otherwise keep every other writer waiting.
    An import cut short between checkpoints goes on where it stopped when the file is sent
    again: every entry is kept once, and the statement's event comes with its last one."""
    if len(data) > MAX_STATEMENT_BYTES:
        raise invalid("", f"a statement file is at most {MAX_STATEMENT_BYTES // 2**20} MiB")
    try:
        parsed = camt053.parse_statements(data)
    except StatementError as error:
        raise invalid("", f"not a camt.053 statement: {error}") from None
    registered = bank_accounts.registered(session, tenant)
    mine: list[Statement] = []
    skipped: list[Statement] = []
    for s in parsed:
        ours = not registered or bank_accounts.owns(registered, s.account, s.currency)
        (mine if ours else skipped).append(s)
    return Imported([_import(session, tenant, s, now, checkpoint) for s in mine], skipped)


def _import(
    session: Session,
    tenant: Tenant,
    statement: Statement,
    now: datetime,
    checkpoint: Callable[[], None] | None,
) -> BankStatement:
    key = camt053.statement_key(statement)
    known = repository.statement_by_key(session, tenant, key)
    row = known or _new_statement(session, tenant, statement, key, now)
    changed = known is None
    for done, entry in enumerate(statement.entries, 1):
        transaction = _transaction(session, tenant, row, entry, now)
        if transaction is not None:
            changed = True
            if transaction.status in (*bank_reversals.PAID, "reversal"):
                row.matched_count += 1
        if checkpoint is not None and done % CHUNK == 0:
            checkpoint()
    if changed:
        events.record(session, tenant, _summary(row, payloads.BankStatementImported), now)
    return row


def _new_statement(
    session: Session, tenant: Tenant, statement: Statement, key: str, now: datetime
) -> BankStatement:
    row = BankStatement(
        id=new_id("bank_statement"),
        **tenant.row_keys(),
        statement_key=key,
        message_id=statement.message_id,
        statement_id=statement.statement_id,
        account_number=statement.account,
        currency=statement.currency,
        issued_at=statement.created_at,
        entry_count=len(statement.entries),
        matched_count=0,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _transaction(
    session: Session, tenant: Tenant, statement: BankStatement, entry: Entry, now: datetime
) -> BankTransaction | None:
    transaction = repository.lock_transaction_by_entry(
        session, tenant, statement.account_number, entry.entry_ref
    )
    if transaction is not None:
        # In an earlier, overlapping statement: news only if it was pending and is booked now.
        if transaction.entry_status == BOOKED or not entry.booked:
            return None
        transaction.entry_status = entry.status
        transaction.booked_on = entry.booked_on
    else:
        transaction = BankTransaction(
            id=new_id("bank_transaction"),
            **tenant.row_keys(),
            statement_id=statement.id,
            account_number=statement.account_number or "",
            entry_ref=entry.entry_ref,
            booked_on=entry.booked_on,
            amount=entry.amount.minor,
            currency=entry.amount.currency,
            references=list(entry.references),
            remittance=entry.remittance[:1000],
            counterparty_name=entry.counterparty_name,
            counterparty_iban=entry.counterparty_iban,
            credit=entry.credit,
            entry_status=entry.status,
            status="ignored",
            reason=None,
            applied=[],
            to_balance=0,
            matched_at=None,
            reversal_of=None,
            created_at=now,
        )
        session.add(transaction)
    if bank_reversals.returns_transfer(entry) and bank_reversals.reverse(
        session, tenant, transaction, entry, now
    ):
        return transaction
    if not entry.pays_invoices:
        transaction.reason = "not a booked incoming transfer"
        return transaction
    transaction.reason = None
    candidates = invoices_repository.lock_open_by_references(session, tenant, entry.references)
    open_ = [
        OpenInvoice(
            i.id, i.payment_reference or "", Money(i.amount_due - i.amount_paid, i.currency)
        )
        for i in candidates
    ]
    decision = match_transfer(IncomingTransfer(entry.references, entry.amount), open_)
    _apply(session, tenant, transaction, decision, {i.id: i for i in candidates}, now)
    return transaction


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
    events.record(session, tenant, outcomes.summary(payment, payloads.PaymentSucceeded), now)
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
    repository.lock(session, transaction)
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
    return repository.bank_transactions_page(session, tenant, limit, starting_after, status)


def _summary(
    row: BankStatement, kind: type[payloads.BankStatementImported]
) -> payloads.BankStatementImported:
    return kind(
        id=row.id,
        statement_id=row.statement_id,
        account_number=row.account_number,
        entry_count=row.entry_count,
        matched_count=row.matched_count,
    )
