"""E-invoices as the API and the console read them: one, a page of them by state, and
those at risk of missing their upload deadline."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from recura.core import working_days
from recura.db.models import EInvoice
from recura.domains.common.errors import NotFoundError
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.efactura import repository
from recura.domains.efactura.schemas import AnafMessageOut, EInvoiceOut
from recura.domains.einvoices.schemas import FindingOut

ROMANIA = ZoneInfo("Europe/Bucharest")
# At risk: not accepted with this many working days or fewer left to the deadline.
AT_RISK_WORKING_DAYS = 2
NOT_ACCEPTED = ("invalid", "pending", "uploaded", "rejected")


def today(now: datetime) -> date:
    """The day in Romania, where the deadline is counted."""
    return now.astimezone(ROMANIA).date()


def at_risk_until(day: date) -> date:
    """The last deadline that is at risk on `day`: `AT_RISK_WORKING_DAYS` working days on,
    Romanian public holidays skipped as the deadline itself skips them."""
    return working_days.add_working_days(day, AT_RISK_WORKING_DAYS)


def is_at_risk(row: EInvoice, now: datetime) -> bool:
    return (
        row.state in NOT_ACCEPTED
        and row.deadline is not None
        and row.deadline <= at_risk_until(today(now))
    )


def get(session: Session, tenant: Tenant, einvoice_id: str) -> EInvoice:
    row = repository.einvoice(session, tenant, einvoice_id)
    if row is None:
        raise NotFoundError("einvoice", einvoice_id)
    return row


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    state: str | None,
    at_risk: bool,
    now: datetime,
) -> Page[EInvoice]:
    until = at_risk_until(today(now)) if at_risk else None
    return repository.einvoices_page(session, tenant, limit, starting_after, state, until)


def to_out(row: EInvoice, now: datetime) -> EInvoiceOut:
    return EInvoiceOut(
        id=row.id,
        invoice=row.invoice_id,
        credit_note=row.credit_note_id,
        type_code=row.type_code,
        state=row.state,
        findings=[FindingOut(**{k: f[k] for k in FindingOut.model_fields}) for f in row.findings],
        sha256=row.sha256,
        validated_at=row.validated_at,
        deadline=row.deadline,
        at_risk=is_at_risk(row, now),
        upload_index=row.upload_index,
        download_id=row.download_id,
        messages=[AnafMessageOut(**m) for m in row.anaf_messages or []],
        has_answer=row.answer is not None,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        uploaded_at=row.uploaded_at,
        decided_at=row.decided_at,
        correction_invoice=row.correction_invoice_id,
        livemode=row.livemode,
        created_at=row.created_at,
    )


def invoice_numbers(session: Session, tenant: Tenant, rows: list[EInvoice]) -> dict[str, str]:
    """The numbers of the invoices the rows (and their corrections) belong to, by id."""
    ids = {r.invoice_id for r in rows if r.invoice_id}
    ids |= {r.correction_invoice_id for r in rows if r.correction_invoice_id}
    return repository.invoice_numbers(session, tenant, ids)
