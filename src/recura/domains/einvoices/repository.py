"""Every query of the e-invoices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from recura.db.models import Account, EInvoice, Event, MetricCursor
from recura.domains.common.tenant import Tenant

# The events after which a document needs its e-invoice.
DOCUMENT_EVENTS = ("invoice.finalized", "credit_note.created")


def _dialect(session: Session) -> Any:
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def lock_cursor(session: Session, name: str) -> MetricCursor:
    """The worker's bookmark in the event log (the table the metrics fold keeps its own in),
    made if missing and held until commit: one maker at a time."""
    stmt = select(MetricCursor).where(MetricCursor.name == name).with_for_update()
    found = session.scalars(stmt).first()
    if found is not None:
        return found
    insert = _dialect(session).insert(MetricCursor).values(name=name, last_event_id=None)
    session.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
    return session.scalars(stmt).one()


def document_events(
    session: Session, after: str | None, before: str | None, limit: int
) -> Sequence[Event]:
    """Finalised invoices' and new credit notes' events with ids in (after, before), in id
    order, of every account established in Romania (`ix_events_documents`)."""
    stmt = (
        select(Event)
        .join(Account, Account.id == Event.account_id)
        .where(Event.type.in_(DOCUMENT_EVENTS), Account.country == "RO")
        .order_by(Event.id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(Event.id > after)
    if before is not None:
        stmt = stmt.where(Event.id < before)
    return session.scalars(stmt).all()


def unchecked(session: Session, limit: int) -> Sequence[EInvoice]:
    """Pending e-invoices not validated yet (the rules were missing, or the document could
    not be made), the longest unchecked first: each check stamps `updated_at`, so a batch
    of documents waiting on their customers (an address to deliver goods to) takes its
    turn and does not keep newer ones from being checked."""
    stmt = (
        select(EInvoice)
        .where(EInvoice.state == "pending", EInvoice.validated_at.is_(None))
        .order_by(EInvoice.updated_at, EInvoice.id)
        .limit(limit)
    )
    return session.scalars(stmt).all()


def unchecked_among(session: Session, einvoice_ids: Sequence[str]) -> Sequence[EInvoice]:
    """Those of these e-invoices still pending unvalidated, locked: another worker may have
    checked them meanwhile."""
    stmt = (
        select(EInvoice)
        .where(
            EInvoice.id.in_(einvoice_ids),
            EInvoice.state == "pending",
            EInvoice.validated_at.is_(None),
        )
        .with_for_update()
    )
    return session.scalars(stmt).all()


def of_document(
    session: Session,
    tenant: Tenant,
    *,
    invoice_id: str | None = None,
    credit_note_id: str | None = None,
) -> EInvoice | None:
    stmt = tenant.scope(select(EInvoice), EInvoice)
    if invoice_id is not None:
        stmt = stmt.where(EInvoice.invoice_id == invoice_id)
    else:
        stmt = stmt.where(EInvoice.credit_note_id == credit_note_id)
    return session.scalars(stmt).first()
