"""Gapless, increasing invoice numbers per series (required by Romanian law).

The number is taken when an invoice is finalised, in the finalising transaction, under a
lock on the series row: concurrent finalisations queue, a rolled-back one gives its number
back, so the series never has a gap or a duplicate.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from recura.domains.common.tenant import Tenant
from recura.domains.invoices import repository

DIGITS = 6


def next_number(session: Session, tenant: Tenant, prefix: str) -> str:
    return next_numbers(session, tenant, prefix, 1)[0]


def next_numbers(session: Session, tenant: Tenant, prefix: str, count: int) -> list[str]:
    """`count` consecutive numbers under one lock: a batch of invoices numbers at once."""
    series = repository.lock_series(session, tenant, prefix)
    first = series.next_number
    series.next_number = first + count
    session.flush()
    return [f"{prefix}-{number:0{DIGITS}d}" for number in range(first, first + count)]
