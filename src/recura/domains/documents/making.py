"""Making each issued invoice's and credit note's PDF once, by the worker.

The outbox dispatcher calls `queue` with the events it dispatches: `invoice.finalized` and
`credit_note.created` (and `invoice.paid`, so that a receipt's invoice has one even when it
was issued before PDFs were made) each add an empty `invoice_pdfs` row, unique per document,
for accounts with `invoice_pdfs` on (an email whose document has no row goes without an
attachment). The worker's `invoice_pdfs` step is a staged batch (`recura.staged`): the claim
reads everything the documents say, states a foreign-currency document's VAT in lei
(`invoices.tax_currency`), and commits; rendering, the slow part, runs outside any
transaction; the PDFs are stored with their SHA-256, only into rows still empty and still
under the claim, so a PDF once stored never changes. A document that cannot be made yet (no
exchange rate stored for its issue day) or whose rendering failed is tried again later.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from recura import staged
from recura.clock import Clock
from recura.core.exchange import NoRateError
from recura.db.models import Account, Event, InvoicePdf
from recura.db.unit_of_work import Units
from recura.domains.accounts import repository as accounts_repository
from recura.domains.common import languages
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers_repository
from recura.domains.documents import content, pdf, repository
from recura.domains.events.payloads import EventType
from recura.domains.invoices import repository as invoices_repository
from recura.domains.invoices import tax_currency
from recura.ids import new_ids

log = logging.getLogger(__name__)

BATCH = 10
# After a failure: the n-th try waits RETRY * 2**(n-1), at most MAX_RETRY.
RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)
_OF_INVOICE = frozenset({EventType.INVOICE_FINALIZED, EventType.INVOICE_PAID})


def queue(session: Session, events: Sequence[Event], now: datetime) -> None:
    """The outbox's fan-out: an empty PDF row for each document the events issue."""
    rows: dict[tuple[str, str, str], dict[str, object]] = {}
    for event in events:
        if event.type in _OF_INVOICE:
            column = "invoice_id"
        elif event.type == EventType.CREDIT_NOTE_CREATED:
            column = "credit_note_id"
        else:
            continue
        rows[(event.account_id, column, event.object_id)] = empty_row(
            event.account_id, event.livemode, column, event.object_id, now
        )
    # Only for accounts that have Recura make their PDFs.
    making = accounts_repository.accounts_by_id(session, {a for a, _, _ in rows})
    rows = {key: row for key, row in rows.items() if making[key[0]].invoice_pdfs}
    # Only documents that exist and are issued (an event recorded by hand may name none).
    invoices = invoices_repository.invoices_by_key(
        session, {(a, i) for a, c, i in rows if c == "invoice_id"}
    )
    notes = repository.credit_notes_by_key(
        session, {(a, i) for a, c, i in rows if c == "credit_note_id"}
    )
    found = [
        row
        for (account_id, column, object_id), row in rows.items()
        if (
            (account_id, object_id) in notes
            if column == "credit_note_id"
            else invoices.get((account_id, object_id)) is not None
            and invoices[(account_id, object_id)].number is not None
        )
    ]
    insert(session, found)


def empty_row(
    account_id: str, livemode: bool, column: str, object_id: str, now: datetime
) -> dict[str, object]:
    """A PDF to make, of the invoice or credit note `object_id` (`column` says which)."""
    return {
        "account_id": account_id,
        "livemode": livemode,
        "created_at": now,
        "invoice_id": object_id if column == "invoice_id" else None,
        "credit_note_id": object_id if column == "credit_note_id" else None,
        "locale": None,
        "content": None,
        "sha256": None,
        "claimed_at": None,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": None,
        "made_at": None,
    }


def insert(session: Session, rows: list[dict[str, object]]) -> None:
    """Add the empty rows, each with a new id; a document with a row keeps its own."""
    for row, row_id in zip(rows, new_ids("invoice_pdf", len(rows)), strict=True):
        row["id"] = row_id
    if rows:
        repository.insert_missing(session, rows)


@dataclass(frozen=True, slots=True)
class Job:
    account_id: str
    row_id: str
    claimed_at: datetime
    document: content.Document


@dataclass(frozen=True, slots=True)
class Made:
    content: bytes | None
    error: str | None = None


class Making(staged.Kind[Job, Made]):
    name = "invoice PDFs"
    deadline = 120.0

    def claim(self, session: Session, now: datetime, limit: int) -> list[Job]:
        rows = repository.lock_due(session, now, limit, staged.abandoned_before(now))
        self.taken = len(rows)
        if not rows:
            return []
        reader = _Reader(session, rows)
        jobs = []
        for row in rows:
            try:
                with session.begin_nested():
                    document = reader.document(session, row)
                    session.flush()
            except NoRateError as missing:
                _later(row, now, f"no exchange rate for the issue day: {missing}")
                continue
            except Exception as broken:
                log.exception("could not read the document of PDF %s", row.id)
                _later(row, now, f"could not read the document: {broken}")
                continue
            row.claimed_at, row.locale = now, document.locale
            row.attempts += 1
            jobs.append(Job(row.account_id, row.id, now, document))
        return jobs

    def send(self, item: Job, deadline: staged.Deadline) -> Made:
        return Made(pdf.render(item.document))

    def unanswered(self, item: Job, error: Exception) -> Made:
        return Made(None, f"{type(error).__name__}: {error}")

    def record(self, session: Session, item: Job, answer: Made, now: datetime) -> None:
        self.record_many(session, [(item, answer)], now)

    def record_many(
        self, session: Session, answered: Sequence[tuple[Job, Made]], now: datetime
    ) -> None:
        rows = repository.lock_claimed(session, [(i.account_id, i.row_id) for i, _ in answered])
        by_id = {row.id: row for row in rows}
        for item, answer in answered:
            row = by_id.get(item.row_id)
            if row is None or row.content is not None or row.claimed_at != item.claimed_at:
                continue  # made by another worker meanwhile, or claimed again
            row.claimed_at = None
            if answer.content is None:
                _later(row, now, answer.error or "not rendered")
                continue
            row.content, row.sha256 = answer.content, pdf.sha256(answer.content)
            row.made_at, row.last_error = now, None

    def release(self, session: Session, items: Sequence[Job], now: datetime) -> None:
        for row in repository.lock_claimed(session, [(i.account_id, i.row_id) for i in items]):
            if row.content is None:
                row.claimed_at = None
                row.attempts = max(row.attempts - 1, 0)


def _later(row: InvoicePdf, now: datetime, error: str) -> None:
    wait = min(RETRY * 2 ** max(row.attempts - 1, 0), MAX_RETRY)
    row.next_attempt_at = now + wait
    row.last_error = error[:1000]


class _Reader:
    """What a batch of PDFs says, read once for all of them."""

    def __init__(self, session: Session, rows: Sequence[InvoicePdf]) -> None:
        notes = repository.credit_notes_by_key(
            session, {(r.account_id, r.credit_note_id) for r in rows if r.credit_note_id}
        )
        invoice_keys = {(r.account_id, r.invoice_id) for r in rows if r.invoice_id}
        invoice_keys |= {(a, note.invoice_id) for (a, _), note in notes.items()}
        self.notes = notes
        self.invoices = invoices_repository.invoices_by_key(session, invoice_keys)
        self.lines = invoices_repository.lines_by_invoice(session, invoice_keys)
        self.accounts = accounts_repository.accounts_by_id(session, {r.account_id for r in rows})
        self.customers = customers_repository.customers_by_key(
            session, {(a, i.customer_id) for (a, _), i in self.invoices.items()}
        )
        self.logos = {a: accounts_repository.logo(session, a) for a in self.accounts}

    def document(self, session: Session, row: InvoicePdf) -> content.Document:
        account = self.accounts[row.account_id]
        tenant = Tenant(row.account_id, row.livemode)
        if row.credit_note_id:
            note = self.notes[(row.account_id, row.credit_note_id)]
            invoice = self.invoices[(row.account_id, note.invoice_id)]
            customer = self.customers[(row.account_id, invoice.customer_id)]
            locale = _locale(account, customer.locale)
            issued_on = content.issue_day(note.created_at, account.timezone)
            tax_currency.state(session, tenant, account, note, issued_on)
            return content.of_credit_note(
                account,
                customer,
                note,
                invoice,
                self.lines.get((row.account_id, invoice.id), []),
                self.logos[row.account_id],
                locale,
            )
        invoice = self.invoices[(row.account_id, row.invoice_id or "")]
        customer = self.customers[(row.account_id, invoice.customer_id)]
        locale = _locale(account, customer.locale)
        issued_on = content.issue_day(invoice.finalized_at or invoice.created_at, account.timezone)
        tax_currency.state(session, tenant, account, invoice, issued_on)
        return content.of_invoice(
            account,
            customer,
            invoice,
            self.lines.get((row.account_id, invoice.id), []),
            self.logos[row.account_id],
            locale,
        )


def _locale(account: Account, customer_locale: str | None) -> str:
    return languages.for_customer(customer_locale, account.locale, account.fallback_locale)


def make_due(units: Units, clock: Clock, limit: int = BATCH) -> int:
    """The worker's step: one staged batch of PDFs to make. Returns how many rows the
    claim took."""
    return staged.run(units, clock, Making(), limit)
