"""A customer's credit balance: an append-only ledger, summed per currency (read by
invoices.issuing). Money operations on one customer are serialised by locking the
customer's row first, so two of them at once cannot both spend the same credit; issuing,
the only one that spends it, locks only customers that have credit."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recura.db import bulk
from recura.db.models import BalanceEntry, Customer
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant
from recura.ids import new_id


def lock(session: Session, account_id: str, customer_ids: Collection[str]) -> None:
    """Hold the customers' rows until the transaction ends, in id order so that two
    transactions never wait for each other in a cycle (a no-op on SQLite, whose writers
    BEGIN IMMEDIATE already serialises)."""
    stmt = select(Customer.id).where(
        Customer.account_id == account_id, bulk.among(session, Customer.id, customer_ids)
    )
    session.execute(stmt.order_by(Customer.id).with_for_update())


def add(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    currency: str,
    amount: int,
    kind: str,
    description: str,
    now: datetime,
    *,
    invoice_id: str | None = None,
    credit_note_id: str | None = None,
) -> None:
    if amount == 0:
        return
    session.add(
        BalanceEntry(
            id=new_id("balance_entry"),
            **tenant.row_keys(),
            customer_id=customer_id,
            currency=currency,
            amount=amount,
            kind=kind,
            invoice_id=invoice_id,
            credit_note_id=credit_note_id,
            description=description,
            created_at=now,
        )
    )


def available(session: Session, tenant: Tenant, customer_id: str) -> dict[str, int]:
    """The customer's balance per currency it has entries in, by currency code."""
    stmt = (
        tenant.scope(select(BalanceEntry.currency, func.sum(BalanceEntry.amount)), BalanceEntry)
        .where(BalanceEntry.customer_id == customer_id)
        .group_by(BalanceEntry.currency)
        .order_by(BalanceEntry.currency)
    )
    return {currency: int(total) for currency, total in session.execute(stmt)}


def entries(
    session: Session, tenant: Tenant, customer_id: str, limit: int, starting_after: str | None
) -> Page[BalanceEntry]:
    stmt = tenant.scope(select(BalanceEntry), BalanceEntry).where(
        BalanceEntry.customer_id == customer_id
    )
    return paginate(session, stmt, BalanceEntry, limit, starting_after)
