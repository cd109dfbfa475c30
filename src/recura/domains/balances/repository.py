from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recura.db import bulk
from recura.db.models import BalanceEntry, Customer
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def lock_customers(session: Session, account_id: str, customer_ids: Collection[str]) -> None:
    """FOR UPDATE on the customers' rows, in id order."""
    stmt = select(Customer.id).where(
        Customer.account_id == account_id, bulk.among(session, Customer.id, customer_ids)
    )
    session.execute(stmt.order_by(Customer.id).with_for_update())


def totals_by_currency(session: Session, tenant: Tenant, customer_id: str) -> dict[str, int]:
    stmt = (
        tenant.scope(select(BalanceEntry.currency, func.sum(BalanceEntry.amount)), BalanceEntry)
        .where(BalanceEntry.customer_id == customer_id)
        .group_by(BalanceEntry.currency)
        .order_by(BalanceEntry.currency)
    )
    return {currency: int(total) for currency, total in session.execute(stmt)}


def entries_page(
    session: Session, tenant: Tenant, customer_id: str, limit: int, starting_after: str | None
) -> Page[BalanceEntry]:
    stmt = tenant.scope(select(BalanceEntry), BalanceEntry).where(
        BalanceEntry.customer_id == customer_id
    )
    return paginate(session, stmt, BalanceEntry, limit, starting_after)


def sums(
    session: Session, account_id: str, customers: set[str], currencies: set[str]
) -> dict[tuple[str, bool, str, str], int]:
    """Balance per (account, livemode, customer, currency) of the customers' entries in
    `currencies`."""
    stmt = (
        select(
            BalanceEntry.livemode,
            BalanceEntry.customer_id,
            BalanceEntry.currency,
            func.sum(BalanceEntry.amount),
        )
        .where(
            BalanceEntry.account_id == account_id,
            bulk.among(session, BalanceEntry.customer_id, customers),
            BalanceEntry.currency.in_(currencies),
        )
        .group_by(BalanceEntry.livemode, BalanceEntry.customer_id, BalanceEntry.currency)
    )
    return {
        (account_id, livemode, customer_id, currency): int(total)
        for livemode, customer_id, currency, total in session.execute(stmt)
    }
