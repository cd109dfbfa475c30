"""Making, keeping and reading e-invoices.

The worker makes a document's e-invoice after the transaction that finalised the invoice
(or made the credit note) has committed, never inside it: `make_due` follows the event log
past its own cursor, as the metrics fold does, and stays `SETTLE` behind the clock so an
event made earlier but committed later is not passed over. Each document is built from its
stored rows (`ubl`), validated offline (`validation`) and stored once with its hash:
`invalid` when a rule fails (never sent), `pending` otherwise. A document that could not be
validated (the rules not installed) or made (no exchange rate for its VAT in lei yet) stays
`pending` without `validated_at`, and `check_unchecked` tries again on later passes; the
uploader takes only validated ones. Only accounts established in Romania get e-invoices.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from recura import ids
from recura.core.exchange import NoRateError
from recura.core.working_days import add_working_days
from recura.db.models import Account, CreditNote, EInvoice, Invoice
from recura.domains.accounts import repository as accounts
from recura.domains.common.errors import NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers
from recura.domains.einvoices import repository, ubl, validation
from recura.domains.einvoices.validation import Finding
from recura.domains.invoices import repository as invoices
from recura.domains.invoices import tax_currency

CURSOR = "einvoices"
# Each document takes about a tenth of a second to validate: a batch stays within a slice.
BATCH = 50
SQLITE_BATCH = 10
SETTLE = timedelta(minutes=10)
UPLOAD_WITHIN = 5  # working days after the issue date
NO_RATE = "RECURA-NO-RATE"


@dataclass(frozen=True, slots=True)
class Made:
    xml: bytes | None
    findings: list[Finding]
    issued_on: date
    validated: bool


def make_due(session: Session, now: datetime) -> int:
    """The worker's handler: the e-invoices of a batch of documents finalised up to SETTLE
    before `now`, then another try at documents not validated yet; returns how many. Smaller
    batches on SQLite, whose one writer requests wait for."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    limit = SQLITE_BATCH if sqlite else BATCH
    horizon = ids.floor("event", int((now - SETTLE).timestamp() * 1000))
    made = make_from_events(session, now, before=horizon, limit=limit)
    return made + check_unchecked(session, now, limit=max(limit - made, 0))


def make_from_events(
    session: Session,
    now: datetime,
    before: str | None = None,
    limit: int = BATCH,
    rules: Path | None = None,
) -> int:
    """Make the e-invoices of up to `limit` documents past the cursor (events with ids below
    `before`); the cursor moves in the same transaction, so a rerun makes none twice. Every
    document is built and validated before the first row is written: on SQLite the write
    lock is then held for the inserts only, not for a batch's validation."""
    cursor = repository.lock_cursor(session, CURSOR)
    events = repository.document_events(session, cursor.last_event_id, before, limit)
    rows = []
    seen: set[tuple[str, str]] = set()
    with session.no_autoflush:
        for event in events:
            tenant = Tenant(event.account_id, event.livemode)
            credit = event.type == "credit_note.created"
            invoice_id, credit_note_id = (
                (None, event.object_id) if credit else (event.object_id, None)
            )
            key = (event.account_id, event.object_id)
            if key in seen or repository.of_document(
                session, tenant, invoice_id=invoice_id, credit_note_id=credit_note_id
            ):
                continue
            seen.add(key)
            made = _made(session, tenant, invoice_id, credit_note_id, rules)
            rows.append(_row(tenant, invoice_id, credit_note_id, made, now))
    session.add_all(rows)
    if events:
        cursor.last_event_id = events[-1].id
    session.flush()
    return len(events)


def make(
    session: Session,
    tenant: Tenant,
    now: datetime,
    *,
    invoice_id: str | None = None,
    credit_note_id: str | None = None,
    rules: Path | None = None,
) -> EInvoice:
    """The e-invoice of one invoice or credit note, made and stored if it has none yet."""
    found = repository.of_document(
        session, tenant, invoice_id=invoice_id, credit_note_id=credit_note_id
    )
    if found is not None:
        return found
    made = _made(session, tenant, invoice_id, credit_note_id, rules)
    einvoice = _row(tenant, invoice_id, credit_note_id, made, now)
    session.add(einvoice)
    session.flush()
    return einvoice


def _row(
    tenant: Tenant, invoice_id: str | None, credit_note_id: str | None, made: Made, now: datetime
) -> EInvoice:
    einvoice = EInvoice(
        id=ids.new_id("einvoice"),
        **tenant.row_keys(),
        invoice_id=invoice_id,
        credit_note_id=credit_note_id,
        type_code="381" if credit_note_id else "380",
        deadline=add_working_days(made.issued_on, UPLOAD_WITHIN),
        attempts=0,
        anaf_messages=[],
        created_at=now,
    )
    _keep(einvoice, made, now)
    return einvoice


def check_unchecked(
    session: Session, now: datetime, limit: int = BATCH, rules: Path | None = None
) -> int:
    """Make again (when it could not be made) and validate the pending e-invoices not
    validated yet, when the rules are there; returns how many were checked."""
    if limit <= 0 or (rules or validation.rules_directory()) is None:
        return 0
    waiting = repository.unchecked(session, limit)
    for einvoice in waiting:
        if einvoice.xml is not None:
            # Made once: a document already stored is validated as it is.
            findings = validation.validate(einvoice.xml, rules)
            made = Made(einvoice.xml, findings, einvoice.created_at.date(), True)
        else:
            tenant = Tenant(einvoice.account_id, einvoice.livemode)
            made = _made(session, tenant, einvoice.invoice_id, einvoice.credit_note_id, rules)
        _keep(einvoice, made, now)
    return len(waiting)


def _keep(einvoice: EInvoice, made: Made, now: datetime) -> None:
    einvoice.xml = made.xml
    einvoice.sha256 = hashlib.sha256(made.xml).hexdigest() if made.xml is not None else None
    einvoice.findings = [f.as_dict() for f in made.findings]
    einvoice.validated_at = now if made.validated else None
    einvoice.state = (
        "invalid" if made.validated and validation.is_fatal(made.findings) else "pending"
    )
    einvoice.updated_at = now


def _made(
    session: Session,
    tenant: Tenant,
    invoice_id: str | None,
    credit_note_id: str | None,
    rules: Path | None,
) -> Made:
    account = accounts.account_by_key(session, tenant.account_id)
    document: Invoice | CreditNote
    if credit_note_id is not None:
        note = invoices.credit_note_by_key(session, tenant.account_id, credit_note_id)
        invoice = invoices.by_key(session, tenant.account_id, note.invoice_id)
        document, issued = note, _local_day(note.created_at, account)
    else:
        assert invoice_id is not None
        invoice = invoices.by_key(session, tenant.account_id, invoice_id)
        assert invoice.finalized_at is not None
        document, issued = invoice, _local_day(invoice.finalized_at, account)
    try:
        tax_currency.state(session, tenant, account, document, issued)
    except NoRateError as error:
        finding = Finding(NO_RATE, "fatal", "/Invoice/cbc:TaxCurrencyCode", str(error))
        return Made(None, [finding], issued, False)
    customer = customers.by_key(session, tenant.account_id, document.customer_id)
    lines = invoices.lines_of_invoice(session, invoice)
    if isinstance(document, CreditNote):
        doc = ubl.credit_note_document(account, customer, document, invoice, lines)
    else:
        doc = ubl.invoice_document(account, customer, invoice, lines)
    xml = ubl.build(doc)
    root = rules or validation.rules_directory()
    if root is None:
        return Made(xml, validation.missing(), issued, False)
    return Made(xml, validation.validate(xml, root), issued, True)


def _local_day(moment: datetime, account: Account) -> date:
    return moment.astimezone(ZoneInfo(account.timezone)).date()


def of_invoice(session: Session, tenant: Tenant, invoice_id: str) -> EInvoice:
    found = repository.of_document(session, tenant, invoice_id=invoice_id)
    if found is None:
        raise NotFoundError("einvoice", invoice_id)
    return found


def of_credit_note(session: Session, tenant: Tenant, credit_note_id: str) -> EInvoice:
    found = repository.of_document(session, tenant, credit_note_id=credit_note_id)
    if found is None:
        raise NotFoundError("einvoice", credit_note_id)
    return found
