"""Every query of the invoice PDFs."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from recura.db.models import Account, CreditNote, Invoice, InvoicePdf
from recura.domains.common import lookup
from recura.domains.common.tenant import Tenant


def insert_missing(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the PDFs to make, skipping documents that have one (made or not)."""
    connection = session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    for column in ("invoice_id", "credit_note_id"):
        of_kind = [row for row in rows if row[column] is not None]
        if not of_kind:
            continue
        stmt = dialect.insert(InvoicePdf).on_conflict_do_nothing(
            index_elements=["account_id", column],
            index_where=getattr(InvoicePdf, column).is_not(None),
        )
        connection.execute(stmt, of_kind)


def lock_due(
    session: Session, now: datetime, limit: int, abandoned_before: datetime
) -> list[InvoicePdf]:
    """Up to `limit` PDFs not made yet whose time has come, unclaimed or claimed by a
    worker that is gone, oldest first, FOR UPDATE SKIP LOCKED."""
    stmt = (
        select(InvoicePdf)
        .where(
            InvoicePdf.content.is_(None),
            InvoicePdf.next_attempt_at <= now,
            or_(InvoicePdf.claimed_at.is_(None), InvoicePdf.claimed_at <= abandoned_before),
        )
        .order_by(InvoicePdf.next_attempt_at, InvoicePdf.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def lock_claimed(session: Session, keys: Collection[tuple[str, str]]) -> list[InvoicePdf]:
    """The PDFs by (account, id), locked in key order."""
    if not keys:
        return []
    stmt = (
        select(InvoicePdf)
        .where(tuple_(InvoicePdf.account_id, InvoicePdf.id).in_(sorted(keys)))
        .order_by(InvoicePdf.account_id, InvoicePdf.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(stmt))


def credit_notes_by_key(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], CreditNote]:
    return lookup.by_keys(session, CreditNote, keys)


def of_document(
    session: Session, tenant: Tenant, invoice_id: str | None, credit_note_id: str | None = None
) -> InvoicePdf | None:
    """The PDF of the tenant's invoice (or credit note), made or not."""
    column = InvoicePdf.invoice_id if invoice_id else InvoicePdf.credit_note_id
    stmt = tenant.scope(select(InvoicePdf), InvoicePdf).where(
        column == (invoice_id or credit_note_id)
    )
    return session.scalars(stmt).first()


def of_invoices(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], InvoicePdf]:
    """The PDFs of invoices of any account, by (account, invoice id)."""
    if not keys:
        return {}
    wanted = or_(
        *(
            and_(InvoicePdf.account_id == a, InvoicePdf.invoice_id.in_(ids))
            for a, ids in lookup.ids_by_account(keys).items()
        )
    )
    rows = session.scalars(select(InvoicePdf).where(wanted))
    return {(row.account_id, row.invoice_id or ""): row for row in rows}


def without_pdf(
    session: Session, account_id: str | None, limit: int
) -> list[tuple[str, bool, str, str]]:
    """Up to `limit` issued documents of accounts that have Recura make PDFs (or of one
    account) with no PDF row: (account, livemode, "invoice_id" or "credit_note_id", id),
    invoices first, each kind in id order."""
    found: list[tuple[str, bool, str, str]] = []
    for model, column, issued in (
        (Invoice, "invoice_id", Invoice.number.is_not(None)),
        (CreditNote, "credit_note_id", CreditNote.number.is_not(None)),
    ):
        if len(found) >= limit:
            break
        has_pdf = (
            select(InvoicePdf.id)
            .where(
                InvoicePdf.account_id == model.account_id,
                getattr(InvoicePdf, column) == model.id,
            )
            .exists()
        )
        stmt = (
            select(model.account_id, model.livemode, model.id)
            .join(Account, Account.id == model.account_id)
            .where(Account.invoice_pdfs.is_(True), issued, ~has_pdf)
            .order_by(model.account_id, model.id)
            .limit(limit - len(found))
        )
        if account_id is not None:
            stmt = stmt.where(model.account_id == account_id)
        found += [(a, livemode, column, i) for a, livemode, i in session.execute(stmt)]
    return found
