"""Every query of e-invoices, ANAF connections and ANAF call counts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from recura.db.models import (
    Account,
    AnafCall,
    AnafConnection,
    CreditNote,
    Customer,
    EInvoice,
    Invoice,
)
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant

# What the uploader and the status poller work on.
IN_FLIGHT = ("pending", "uploaded")


def connection(
    session: Session, tenant: Tenant, *, for_update: bool = False
) -> AnafConnection | None:
    stmt = tenant.scope(select(AnafConnection), AnafConnection)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def connections_of(session: Session, keys: set[tuple[str, bool]]) -> list[AnafConnection]:
    if not keys:
        return []
    accounts = {account for account, _ in keys}
    stmt = select(AnafConnection).where(AnafConnection.account_id.in_(accounts))
    return [c for c in session.scalars(stmt) if (c.account_id, c.livemode) in keys]


def lock_connections_to_refresh(
    session: Session, refresh_before: datetime, now: datetime, limit: int
) -> list[AnafConnection]:
    """Connected grants whose access token ends before `refresh_before`, not waiting after
    a failure, locked (others skipped) so that one worker refreshes each."""
    stmt = (
        select(AnafConnection)
        .where(
            AnafConnection.refresh_token.is_not(None),
            AnafConnection.access_expires_at < refresh_before,
            or_(AnafConnection.refresh_after.is_(None), AnafConnection.refresh_after <= now),
        )
        .order_by(AnafConnection.access_expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def connections_to_warn(
    session: Session, warn_before: datetime, limit: int
) -> list[AnafConnection]:
    stmt = (
        select(AnafConnection)
        .where(
            AnafConnection.refresh_token.is_not(None),
            AnafConnection.refresh_expires_at < warn_before,
            AnafConnection.expiry_warned_at.is_(None),
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def _due(now: datetime) -> Any:
    # Only a document the offline rules passed is ever sent: a pending one whose rules
    # were missing (`validated_at` null) waits for them.
    return (
        EInvoice.state.in_(IN_FLIGHT),
        or_(EInvoice.state == "uploaded", EInvoice.validated_at.is_not(None)),
        or_(EInvoice.next_attempt_at.is_(None), EInvoice.next_attempt_at <= now),
    )


def due_accounts(session: Session, now: datetime, limit: int) -> list[str]:
    """Up to `limit` accounts with e-invoices due."""
    stmt = select(EInvoice.account_id).where(*_due(now)).distinct().limit(limit)
    return list(session.scalars(stmt))


def lock_due(session: Session, account_id: str, now: datetime, limit: int) -> list[EInvoice]:
    """One account's e-invoices to upload or to ask about, due first, locked (others
    skipped, so that other workers take others)."""
    stmt = (
        select(EInvoice)
        .where(EInvoice.account_id == account_id, *_due(now))
        .order_by(EInvoice.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def lock_one(session: Session, account_id: str, einvoice_id: str) -> EInvoice | None:
    stmt = select(EInvoice).where(EInvoice.account_id == account_id, EInvoice.id == einvoice_id)
    return session.scalars(stmt.with_for_update()).first()


def upload_indexes_since(
    session: Session, account_id: str, livemode: bool, since: datetime
) -> set[str]:
    """The upload indexes Recura heard from ANAF (or found) since `since`: its own
    messages in ANAF's list, never another program's."""
    stmt = select(EInvoice.upload_index).where(
        EInvoice.account_id == account_id,
        EInvoice.livemode == livemode,
        EInvoice.upload_index.is_not(None),
        EInvoice.uploaded_at >= since,
    )
    return {i for i in session.scalars(stmt) if i}


def holder_of_index(
    session: Session, account_id: str, livemode: bool, upload_index: str
) -> str | None:
    """The e-invoice that already has this upload index, if any."""
    stmt = select(EInvoice.id).where(
        EInvoice.account_id == account_id,
        EInvoice.livemode == livemode,
        EInvoice.upload_index == upload_index,
    )
    return session.scalars(stmt).first()


def buyers(session: Session, rows: list[EInvoice]) -> dict[str, Customer]:
    """The buyer of each e-invoice, by e-invoice id."""
    invoice_ids = {r.invoice_id for r in rows if r.invoice_id}
    note_ids = {r.credit_note_id for r in rows if r.credit_note_id}
    accounts = {r.account_id for r in rows}
    customer_of: dict[str, str] = {}
    if invoice_ids:
        stmt = select(Invoice.id, Invoice.customer_id).where(
            Invoice.account_id.in_(accounts), Invoice.id.in_(invoice_ids)
        )
        customer_of |= {i: c for i, c in session.execute(stmt)}
    if note_ids:
        stmt = select(CreditNote.id, CreditNote.customer_id).where(
            CreditNote.account_id.in_(accounts), CreditNote.id.in_(note_ids)
        )
        customer_of |= {i: c for i, c in session.execute(stmt)}
    if not customer_of:
        return {}
    stmt_c = select(Customer).where(
        Customer.account_id.in_(accounts), Customer.id.in_(set(customer_of.values()))
    )
    customers = {(c.account_id, c.id): c for c in session.scalars(stmt_c)}
    found = {}
    for row in rows:
        key = customer_of.get(row.invoice_id or row.credit_note_id or "")
        if key and (row.account_id, key) in customers:
            found[row.id] = customers[(row.account_id, key)]
    return found


def account(session: Session, account_id: str) -> Account | None:
    return session.get(Account, account_id)


def call_count(
    session: Session,
    account_id: str,
    livemode: bool,
    cif: str,
    window: str,
    method: str,
    subject: str,
) -> AnafCall:
    """The count's row, made at 0 if missing (workers racing to make it make one), locked
    until commit so that two claims never both take the last call under a limit."""
    keys = {
        "account_id": account_id,
        "livemode": livemode,
        "cif": cif,
        "window": window,
        "method": method,
        "subject": subject,
    }
    stmt = (
        select(AnafCall)
        .where(*(getattr(AnafCall, name) == value for name, value in keys.items()))
        .with_for_update()
    )
    found = session.scalars(stmt).first()
    if found is not None:
        return found
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(AnafCall).values(**keys, count=0)
    session.execute(insert.on_conflict_do_nothing(index_elements=list(keys)))
    return session.scalars(stmt).one()


def calls_on(session: Session, tenant: Tenant, window: str) -> list[AnafCall]:
    stmt = select(AnafCall).where(
        AnafCall.account_id == tenant.account_id,
        AnafCall.livemode == tenant.livemode,
        AnafCall.window == window,
    )
    return list(session.scalars(stmt))


def forget_calls_before(session: Session, window: str) -> int:
    """Counts of windows before `window` (days sort as text) are of no further use. Looked
    for first: an idle worker's pass only reads (on SQLite a write takes the lock)."""
    old = select(AnafCall.account_id).where(AnafCall.window < window).limit(1)
    if session.scalars(old).first() is None:
        return 0
    result = session.execute(
        AnafCall.__table__.delete().where(AnafCall.window < window)  # type: ignore[attr-defined]
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def einvoice(session: Session, tenant: Tenant, einvoice_id: str) -> EInvoice | None:
    stmt = tenant.scope(select(EInvoice), EInvoice).where(EInvoice.id == einvoice_id)
    return session.scalars(stmt).first()


def einvoice_for_update(session: Session, tenant: Tenant, einvoice_id: str) -> EInvoice | None:
    stmt = tenant.scope(select(EInvoice), EInvoice).where(EInvoice.id == einvoice_id)
    return session.scalars(stmt.with_for_update()).first()


def einvoice_of_invoice(session: Session, tenant: Tenant, invoice_id: str) -> EInvoice | None:
    stmt = tenant.scope(select(EInvoice), EInvoice).where(EInvoice.invoice_id == invoice_id)
    return session.scalars(stmt).first()


def einvoices_page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    state: str | None,
    at_risk_from: date | None,
) -> Page[EInvoice]:
    """Newest first; `at_risk_from`: only those not accepted whose deadline falls on or
    before that day (past deadlines included)."""
    stmt = tenant.scope(select(EInvoice), EInvoice)
    if state is not None:
        stmt = stmt.where(EInvoice.state == state)
    if at_risk_from is not None:
        stmt = stmt.where(
            EInvoice.state.in_(("pending", "uploaded", "rejected", "invalid")),
            EInvoice.deadline.is_not(None),
            EInvoice.deadline <= at_risk_from,
        )
    return paginate(session, stmt, EInvoice, limit, starting_after)


def invoice_of_period(
    session: Session,
    tenant: Tenant,
    subscription_id: str,
    period_start: datetime | None,
    reason: str,
) -> str | None:
    """The invoice holding (subscription, period start, reason), the unique key."""
    stmt = tenant.scope(select(Invoice.id), Invoice).where(
        Invoice.subscription_id == subscription_id, Invoice.reason == reason
    )
    stmt = stmt.where(
        Invoice.period_start.is_(None)
        if period_start is None
        else Invoice.period_start == period_start
    )
    return session.scalars(stmt).first()


def invoice_numbers(session: Session, tenant: Tenant, invoice_ids: set[str]) -> dict[str, str]:
    if not invoice_ids:
        return {}
    stmt = tenant.scope(select(Invoice.id, Invoice.number), Invoice).where(
        Invoice.id.in_(invoice_ids)
    )
    return {i: n or i for i, n in session.execute(stmt)}
