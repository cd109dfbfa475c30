from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recura.db import bulk, held
from recura.db.models import (
    CreditNote,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceSeries,
    Payment,
)
from recura.domains.common import lookup
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def get_for_update(session: Session, tenant: Tenant, invoice_id: str) -> Invoice | None:
    found = held.holding(session, (Invoice, tenant.account_id, invoice_id))
    if found is not None:  # locked with its batch (`lock_many`)
        return found  # type: ignore[no-any-return]
    stmt = tenant.scope(select(Invoice), Invoice).where(Invoice.id == invoice_id)
    return session.scalar(stmt.with_for_update())


def lock_due_for_charging(
    session: Session, now: datetime, limit: int
) -> list[tuple[Tenant, Invoice]]:
    """Open invoices whose next attempt is due, locked so no other worker takes them.
    Customers on a test clock are charged when their clock moves, not by real time."""
    stmt = (
        select(Invoice)
        .join(
            Customer,
            (Customer.account_id == Invoice.account_id) & (Customer.id == Invoice.customer_id),
        )
        .where(Invoice.next_payment_attempt_at <= now, Customer.test_clock_id.is_(None))
        .order_by(Invoice.next_payment_attempt_at)
        .limit(limit)
        .with_for_update(of=Invoice, skip_locked=True)
    )
    return [(Tenant(i.account_id, i.livemode), i) for i in session.scalars(stmt)]


def lock_many(session: Session, keys: Sequence[tuple[str, str]]) -> list[Invoice]:
    """The invoices of (account id, invoice id) `keys`, locked in the keys' order; the
    transaction's `get_for_update` of each finds it without asking again."""
    found = lookup.locked_by_keys(session, Invoice, keys)
    held.hold(session, {(Invoice, i.account_id, i.id): i for i in found})
    return found


def lock_open_by_references(
    session: Session, tenant: Tenant, references: Sequence[str]
) -> list[Invoice]:
    """The open invoices whose payment reference is among `references`, FOR UPDATE."""
    if not references:
        return []
    stmt = tenant.scope(select(Invoice), Invoice).where(
        Invoice.payment_reference.in_(references), Invoice.status == "open"
    )
    return list(session.scalars(stmt.with_for_update()))


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    *,
    customer: str | None,
    subscription: str | None,
    status: str | None,
) -> Page[Invoice]:
    stmt = tenant.scope(select(Invoice), Invoice)
    for column, value in (
        (Invoice.customer_id, customer),
        (Invoice.subscription_id, subscription),
        (Invoice.status, status),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return paginate(session, stmt, Invoice, limit, starting_after)


def open_to_match(
    session: Session,
    tenant: Tenant,
    currency: str,
    query: str,
    still_due: int | None,
    limit: int,
) -> list[Invoice]:
    """Open invoices in `currency` a transfer could pay, newest first: `query` matches the
    start of the number or the payment reference, or anywhere in the customer's name or the
    start of their email; `still_due` is what remains to be paid, exactly."""
    stmt = (
        tenant.scope(select(Invoice), Invoice)
        .join(
            Customer,
            (Customer.account_id == Invoice.account_id) & (Customer.id == Invoice.customer_id),
        )
        .where(Invoice.status == "open", Invoice.currency == currency)
    )
    words = query.strip().lower()[:200]
    if words:
        escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        compact = escaped.replace(" ", "").upper()
        stmt = stmt.where(
            or_(
                func.upper(Invoice.number).like(f"{escaped.upper()}%", escape="\\"),
                func.upper(Invoice.payment_reference).like(f"{compact}%", escape="\\"),
                func.lower(Customer.name).like(f"%{escaped}%", escape="\\"),
                func.lower(Customer.email).like(f"{escaped}%", escape="\\"),
            )
        )
    if still_due is not None:
        stmt = stmt.where(Invoice.amount_due - Invoice.amount_paid == still_due)
    return list(session.scalars(stmt.order_by(Invoice.id.desc()).limit(limit)))


def lines_of(session: Session, tenant: Tenant, invoice_ids: list[str]) -> Sequence[InvoiceLine]:
    """The invoices' lines, by position."""
    stmt = tenant.scope(select(InvoiceLine), InvoiceLine).where(
        InvoiceLine.invoice_id.in_(invoice_ids)
    )
    return session.scalars(stmt.order_by(InvoiceLine.position)).all()


def setup_fee_line(session: Session, tenant: Tenant, customer_id: str, plan_id: str) -> str | None:
    """The id of a setup fee line of the plan on one of the customer's invoices that was not
    voided. One query, from the customer's invoices (indexed) to their lines."""
    stmt = (
        tenant.scope(select(InvoiceLine.id), InvoiceLine)
        .join(
            Invoice,
            (Invoice.account_id == InvoiceLine.account_id) & (Invoice.id == InvoiceLine.invoice_id),
        )
        .where(
            Invoice.customer_id == customer_id,
            Invoice.status != "void",
            InvoiceLine.kind == "setup_fee",
            InvoiceLine.plan_id == plan_id,
        )
    )
    return session.scalar(stmt.limit(1))


def credit_notes_page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None, invoice: str | None
) -> Page[CreditNote]:
    stmt = tenant.scope(select(CreditNote), CreditNote)
    if invoice is not None:
        stmt = stmt.where(CreditNote.invoice_id == invoice)
    return paginate(session, stmt, CreditNote, limit, starting_after)


def issued_of_customer(
    session: Session, tenant: Tenant, customer_id: str, limit: int, starting_after: str | None
) -> Page[Invoice]:
    """The customer's invoices that were issued (they have a number), newest first."""
    stmt = tenant.scope(select(Invoice), Invoice).where(
        Invoice.customer_id == customer_id, Invoice.number.is_not(None)
    )
    return paginate(session, stmt, Invoice, limit, starting_after)


def credit_notes_of_customer(
    session: Session, tenant: Tenant, customer_id: str, limit: int
) -> list[CreditNote]:
    """The customer's newest credit notes, newest first."""
    stmt = tenant.scope(select(CreditNote), CreditNote).where(CreditNote.customer_id == customer_id)
    return list(session.scalars(stmt.order_by(CreditNote.id.desc()).limit(limit)))


def lock_series(session: Session, tenant: Tenant, prefix: str) -> InvoiceSeries:
    """The series' row FOR UPDATE, inserted first if the series has none."""
    stmt = (
        select(InvoiceSeries)
        .where(
            InvoiceSeries.account_id == tenant.account_id,
            InvoiceSeries.livemode == tenant.livemode,
            InvoiceSeries.prefix == prefix,
        )
        .with_for_update()
    )
    series = session.scalar(stmt)
    if series is not None:
        return series
    # First invoice of the series: insert the row; a concurrent first insert makes ours fail
    # on the primary key, and the retry then finds and locks the winner's row.
    try:
        with session.begin_nested():
            session.add(
                InvoiceSeries(
                    account_id=tenant.account_id,
                    livemode=tenant.livemode,
                    prefix=prefix,
                    next_number=1,
                )
            )
    except IntegrityError:
        pass
    locked = session.scalar(stmt)
    assert locked is not None
    return locked


def of_subscription(session: Session, tenant: Tenant, subscription_id: str) -> list[Invoice]:
    """The subscription's invoices, oldest first."""
    stmt = tenant.scope(select(Invoice), Invoice).where(Invoice.subscription_id == subscription_id)
    return list(session.scalars(stmt.order_by(Invoice.created_at, Invoice.id)))


def in_dunning(session: Session, tenant: Tenant, customer_id: str) -> list[Invoice]:
    """The customer's open invoices charged automatically whose payment has failed, oldest
    first."""
    stmt = tenant.scope(select(Invoice), Invoice).where(
        Invoice.customer_id == customer_id,
        Invoice.status == "open",
        Invoice.collection_method == "charge_automatically",
        Invoice.first_failed_at.is_not(None),
    )
    return list(session.scalars(stmt.order_by(Invoice.created_at, Invoice.id)))


def retry_dunning_now(session: Session, tenant: Tenant, customer_id: str, now: datetime) -> None:
    """The next attempt of each of the customer's invoices in dunning is `now`."""
    session.execute(
        update(Invoice)
        .where(
            Invoice.account_id == tenant.account_id,
            Invoice.livemode == tenant.livemode,
            Invoice.customer_id == customer_id,
            Invoice.status == "open",
            Invoice.collection_method == "charge_automatically",
            Invoice.first_failed_at.is_not(None),
        )
        .values(next_payment_attempt_at=now)
        .execution_options(synchronize_session=False)
    )


def next_payment_attempt_on_clock(
    session: Session, tenant: Tenant, clock_id: str
) -> datetime | None:
    """When a payment of an invoice of the clock's customers is next due, or None."""
    on_clock = _of_customers_on_clock(tenant, clock_id)
    return session.scalar(on_clock.with_only_columns(func.min(Invoice.next_payment_attempt_at)))


def payment_due_on_clock(
    session: Session, tenant: Tenant, clock_id: str, at: datetime, limit: int
) -> list[Invoice]:
    """Up to `limit` invoices of the clock's customers whose payment is due at `at`, the
    longest due first."""
    stmt = _of_customers_on_clock(tenant, clock_id).where(Invoice.next_payment_attempt_at <= at)
    return list(session.scalars(stmt.order_by(Invoice.next_payment_attempt_at).limit(limit)))


def _of_customers_on_clock(tenant: Tenant, clock_id: str) -> Select[Invoice]:
    on_clock = tenant.scope(select(Customer.id), Customer).where(Customer.test_clock_id == clock_id)
    return tenant.scope(select(Invoice), Invoice).where(
        Invoice.customer_id.in_(on_clock.scalar_subquery())
    )


def find_by_key(session: Session, account_id: str, invoice_id: str) -> Invoice | None:
    """The invoice by its key, in test or live data (the caller checks which it wants)."""
    return session.get(Invoice, (account_id, invoice_id))


def invoices_by_key(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], Invoice]:
    """Invoices of any account by (account_id, id)."""
    return lookup.by_keys(session, Invoice, keys)


def lines_by_invoice(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], list[InvoiceLine]]:
    """The lines of invoices of any account, by position, by (account_id, invoice id):
    one query per account."""
    found: dict[tuple[str, str], list[InvoiceLine]] = {}
    for account_id in {a for a, _ in keys}:
        stmt = (
            select(InvoiceLine)
            .where(
                InvoiceLine.account_id == account_id,
                bulk.among(
                    session, InvoiceLine.invoice_id, [i for a, i in keys if a == account_id]
                ),
            )
            .order_by(InvoiceLine.invoice_id, InvoiceLine.position)
        )
        for line in session.scalars(stmt):
            found.setdefault((account_id, line.invoice_id), []).append(line)
    return found


def lines_of_invoice(session: Session, invoice: Invoice) -> Sequence[InvoiceLine]:
    """The invoice's lines, by position."""
    return session.scalars(
        select(InvoiceLine)
        .where(
            InvoiceLine.account_id == invoice.account_id,
            InvoiceLine.invoice_id == invoice.id,
        )
        .order_by(InvoiceLine.position)
    ).all()


def open_ids(session: Session, tenant: Tenant) -> list[str]:
    """The ids of the open invoices, in id order."""
    stmt = tenant.scope(select(Invoice.id), Invoice).where(Invoice.status == "open")
    return list(session.scalars(stmt.order_by(Invoice.id)))


def by_key(session: Session, account_id: str, invoice_id: str) -> Invoice:
    return session.get_one(Invoice, (account_id, invoice_id))


def credit_note_by_key(session: Session, account_id: str, credit_note_id: str) -> CreditNote:
    return session.get_one(CreditNote, (account_id, credit_note_id))


# Days past due at which each aging bucket starts; an open invoice not yet due is "current".
AGING_BUCKETS = (("1_30", 1), ("31_60", 31), ("61_90", 61), ("90_plus", 91))


def _due() -> ColumnElement[datetime]:
    """When an invoice falls due: a sent invoice's `due_at`; one charged automatically is
    due when it is issued."""
    return func.coalesce(Invoice.due_at, Invoice.finalized_at)


def console_page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    *,
    status: str | None,
    overdue_at: datetime | None,
    customer: str | None = None,
) -> Page[Invoice]:
    """The console's invoice list, newest first; `overdue_at`: only open invoices that fell
    due (`_due`) before that instant."""
    stmt = tenant.scope(select(Invoice), Invoice)
    if status is not None:
        stmt = stmt.where(Invoice.status == status)
    if customer is not None:
        stmt = stmt.where(Invoice.customer_id == customer)
    if overdue_at is not None:
        stmt = stmt.where(Invoice.status == "open", _due() < overdue_at)
    return paginate(session, stmt, Invoice, limit, starting_after)


def aging(session: Session, tenant: Tenant, now: datetime) -> list[tuple[str, str, int, int]]:
    """What open invoices leave to pay, by currency and bucket of days past due:
    (currency, bucket, invoices, amount)."""
    bucket = case(
        *[(_due() <= now - timedelta(days=start), name) for name, start in reversed(AGING_BUCKETS)],
        else_="current",
    )
    left = func.sum(Invoice.amount_due - Invoice.amount_paid)
    stmt = (
        tenant.scope(select(Invoice.currency, bucket, func.count(), left), Invoice)
        .where(Invoice.status == "open")
        .group_by(Invoice.currency, bucket)
    )
    return [(c, str(b), int(n), int(a or 0)) for c, b, n, a in session.execute(stmt)]


def payments_of_invoice(session: Session, tenant: Tenant, invoice_id: str) -> list[Payment]:
    stmt = tenant.scope(select(Payment), Payment).where(Payment.invoice_id == invoice_id)
    return list(session.scalars(stmt.order_by(Payment.id.desc())))


def credit_notes_of_invoice(session: Session, tenant: Tenant, invoice_id: str) -> list[CreditNote]:
    stmt = tenant.scope(select(CreditNote), CreditNote).where(CreditNote.invoice_id == invoice_id)
    return list(session.scalars(stmt.order_by(CreditNote.id.desc())))
