"""Making, keeping and reading e-invoices.

The worker makes a document's e-invoice after the transaction that finalised the invoice
(or made the credit note) has committed, never inside it: `make_due` follows the event log
past its own cursor, as the metrics fold does, and stays `SETTLE` behind the clock so an
event made earlier but committed later is not passed over. It works in three steps, as the
staged senders do: one transaction reads a batch and builds its documents from the stored
rows (`ubl`), the validation (`validation`, about a tenth of a second a document) runs
outside any transaction, and a second short transaction stores them with their hash and
moves the cursor - unless another worker moved it meanwhile, whose documents stand. On
SQLite the write lock is so held for the reads and the inserts, not for the validation.

A document is `invalid` when a rule fails (never sent), `pending` otherwise. One that could
not be validated (the rules not installed) or made (no exchange rate for its VAT in lei
yet) stays `pending` without `validated_at`, and later passes try again; the uploader takes
only validated ones. Goods sent to another member state whose customer has no full address
wait the same way (`NO_DELIVERY`): the document must say where they go, and is made once the
customer's address says it. Only accounts established in Romania get e-invoices.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from recura import ids
from recura.clock import Clock
from recura.core.exchange import NoRateError
from recura.core.working_days import add_working_days
from recura.db.models import Account, CreditNote, EInvoice, Invoice
from recura.db.unit_of_work import Units
from recura.domains.accounts import repository as accounts
from recura.domains.common.errors import NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers
from recura.domains.einvoices import repository, ubl, validation
from recura.domains.einvoices.validation import Finding
from recura.domains.invoices import repository as invoices
from recura.domains.invoices import tax_currency

CURSOR = "einvoices"
BATCH = 50
SQLITE_BATCH = 20
SETTLE = timedelta(minutes=10)
UPLOAD_WITHIN = 5  # working days after the issue date
NO_RATE = "RECURA-NO-RATE"
NO_DELIVERY = "RECURA-NO-DELIVERY-ADDRESS"


@dataclass(frozen=True, slots=True)
class Draft:
    """A document built (or not: `xml` None, `problem` says why), not yet validated."""

    tenant: Tenant
    invoice_id: str | None
    credit_note_id: str | None
    issued_on: date
    xml: bytes | None
    problem: Finding | None = None


@dataclass(frozen=True, slots=True)
class Made:
    xml: bytes | None
    findings: list[Finding]
    validated: bool


def make_due(units: Units, clock: Clock) -> int:
    """The worker's handler: the e-invoices of a batch of documents finalised up to SETTLE
    before now, then another try at documents not validated yet; returns how many."""
    now = clock.now()
    horizon = ids.floor("event", int((now - SETTLE).timestamp() * 1000))
    made = make_from_events(units, now, before=horizon)
    return made + check_unchecked(units, now)


def _batch(session: Session, limit: int | None) -> int:
    if limit is not None:
        return limit
    return SQLITE_BATCH if session.get_bind().dialect.name == "sqlite" else BATCH


def make_from_events(
    units: Units,
    now: datetime,
    before: str | None = None,
    limit: int | None = None,
    rules: Path | None = None,
) -> int:
    """Make the e-invoices of up to `limit` documents past the cursor (events with ids
    below `before`); returns how many events were taken."""
    with units() as session:
        cursor = repository.lock_cursor(session, CURSOR)
        start = cursor.last_event_id
        events = repository.document_events(session, start, before, _batch(session, limit))
        drafts: dict[tuple[str, str], Draft] = {}
        for event in events:
            key = (event.account_id, event.object_id)
            tenant = Tenant(event.account_id, event.livemode)
            credit = event.type == "credit_note.created"
            invoice_id = None if credit else event.object_id
            credit_note_id = event.object_id if credit else None
            if key in drafts or repository.of_document(
                session, tenant, invoice_id=invoice_id, credit_note_id=credit_note_id
            ):
                continue
            drafts[key] = _draft(session, tenant, invoice_id, credit_note_id)
    if not events:
        return 0
    made = [(draft, _validated(draft, rules)) for draft in drafts.values()]
    with units() as session:
        cursor = repository.lock_cursor(session, CURSOR)
        if cursor.last_event_id != start:
            return 0  # another worker took this batch meanwhile
        for draft, result in made:
            session.add(_row(draft, result, now))
        cursor.last_event_id = events[-1].id
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
    """The e-invoice of one invoice or credit note, made and stored in this transaction if
    it has none yet."""
    found = repository.of_document(
        session, tenant, invoice_id=invoice_id, credit_note_id=credit_note_id
    )
    if found is not None:
        return found
    draft = _draft(session, tenant, invoice_id, credit_note_id)
    einvoice = _row(draft, _validated(draft, rules), now)
    session.add(einvoice)
    session.flush()
    return einvoice


def check_unchecked(
    units: Units, now: datetime, limit: int | None = None, rules: Path | None = None
) -> int:
    """Make again (when it could not be made) and validate the pending e-invoices not
    validated yet, once the rules are there; returns how many were checked."""
    if (rules or validation.rules_directory()) is None:
        return 0
    with units() as session:
        waiting = repository.unchecked(session, _batch(session, limit))
        drafts = {}
        for row in waiting:
            tenant = Tenant(row.account_id, row.livemode)
            if row.xml is not None:
                # Made once: a document already stored is validated as it is.
                issued = row.created_at.date()  # unused: the row has its deadline
                drafts[row.id] = Draft(tenant, row.invoice_id, row.credit_note_id, issued, row.xml)
            else:
                drafts[row.id] = _draft(session, tenant, row.invoice_id, row.credit_note_id)
    if not drafts:
        return 0
    made = {key: _validated(draft, rules) for key, draft in drafts.items()}
    with units() as session:
        for row in repository.unchecked_among(session, list(made)):
            _keep(row, made[row.id], now)
    return len(made)


def _row(draft: Draft, made: Made, now: datetime) -> EInvoice:
    einvoice = EInvoice(
        id=ids.new_id("einvoice"),
        **draft.tenant.row_keys(),
        invoice_id=draft.invoice_id,
        credit_note_id=draft.credit_note_id,
        type_code="381" if draft.credit_note_id else "380",
        deadline=add_working_days(draft.issued_on, UPLOAD_WITHIN),
        attempts=0,
        anaf_messages=[],
        created_at=now,
    )
    _keep(einvoice, made, now)
    return einvoice


def _keep(einvoice: EInvoice, made: Made, now: datetime) -> None:
    einvoice.xml = made.xml
    einvoice.sha256 = hashlib.sha256(made.xml).hexdigest() if made.xml is not None else None
    einvoice.findings = [f.as_dict() for f in made.findings]
    einvoice.validated_at = now if made.validated else None
    refused = made.validated and validation.is_fatal(made.findings)
    einvoice.state = "invalid" if refused else "pending"
    einvoice.updated_at = now


def _validated(draft: Draft, rules: Path | None) -> Made:
    if draft.xml is None:
        return Made(None, [draft.problem] if draft.problem else [], False)
    root = rules or validation.rules_directory()
    if root is None:
        return Made(draft.xml, validation.missing(), False)
    return Made(draft.xml, validation.validate(draft.xml, root), True)


def _draft(
    session: Session, tenant: Tenant, invoice_id: str | None, credit_note_id: str | None
) -> Draft:
    """The document built from its stored rows, its VAT in lei stated first when it is in
    another currency (kept on the invoice or credit note: `tax_currency.state`)."""
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
        return Draft(tenant, invoice_id, credit_note_id, issued, None, finding)
    customer = customers.by_key(session, tenant.account_id, document.customer_id)
    lines = invoices.lines_of_invoice(session, invoice)
    try:
        if isinstance(document, CreditNote):
            doc = ubl.credit_note_document(account, customer, document, invoice, lines)
        else:
            doc = ubl.invoice_document(account, customer, invoice, lines)
    except ubl.NoDelivery as error:
        root = "CreditNote" if credit_note_id else "Invoice"
        where = f"/{root}/cac:Delivery/cac:DeliveryLocation/cac:Address"
        finding = Finding(NO_DELIVERY, "fatal", where, str(error))
        return Draft(tenant, invoice_id, credit_note_id, issued, None, finding)
    return Draft(tenant, invoice_id, credit_note_id, issued, ubl.build(doc))


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
