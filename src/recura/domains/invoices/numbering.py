"""Gapless, increasing invoice numbers per series (required by Romanian law).

The number is taken when an invoice is finalised, in the finalising transaction, under a
lock on the series row: concurrent finalisations queue, a rolled-back one gives its number
back, so the series never has a gap or a duplicate.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recura.db.models import InvoiceSeries
from recura.domains.common.tenant import Tenant

DIGITS = 6


def next_number(session: Session, tenant: Tenant, prefix: str) -> str:
    return next_numbers(session, tenant, prefix, 1)[0]


def next_numbers(session: Session, tenant: Tenant, prefix: str, count: int) -> list[str]:
    """`count` consecutive numbers under one lock: a batch of invoices numbers at once."""
    series = _locked_series(session, tenant, prefix)
    first = series.next_number
    series.next_number = first + count
    session.flush()
    return [f"{prefix}-{number:0{DIGITS}d}" for number in range(first, first + count)]


def _locked_series(session: Session, tenant: Tenant, prefix: str) -> InvoiceSeries:
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
