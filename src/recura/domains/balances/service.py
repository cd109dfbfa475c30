"""A customer's credit balance: an append-only ledger, summed per currency (read by
invoices.issuing). Money operations on one customer are serialised by locking the
customer's row first, so two of them at once cannot both spend the same credit; issuing,
the only one that spends it, locks only customers that have credit."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import BalanceEntry
from recura.domains.balances import repository
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.ids import new_id


def lock(session: Session, account_id: str, customer_ids: Collection[str]) -> None:
    """Hold the customers' rows until the transaction ends, in id order so that two
    transactions never wait for each other in a cycle (a no-op on SQLite, whose writers
    BEGIN IMMEDIATE already serialises)."""
    repository.lock_customers(session, account_id, customer_ids)


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
    return repository.totals_by_currency(session, tenant, customer_id)


def entries(
    session: Session, tenant: Tenant, customer_id: str, limit: int, starting_after: str | None
) -> Page[BalanceEntry]:
    return repository.entries_page(session, tenant, customer_id, limit, starting_after)
