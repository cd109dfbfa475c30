"""Invoices waiting in dunning, as the subscriber sees them, and charged at once when the
subscriber gives a new payment method.

Making a method the default already brings these invoices' next attempt forward to now
(`methods.attach`), for the worker's next pass; a subscriber on the page wants the answer
before leaving it, so the page charges them itself, through `collection.charge_now`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import Invoice
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import repository as invoices_repository
from recura.domains.invoices import service as invoices
from recura.domains.payments import collection


def overdue(session: Session, tenant: Tenant, customer_id: str) -> list[Invoice]:
    """Open invoices charged automatically whose payment has failed, oldest first."""
    return invoices_repository.in_dunning(session, tenant, customer_id)


def start_overdue(
    session: Session, tenant: Tenant, customer_id: str, now: datetime
) -> list[collection.Pending]:
    """An attempt now at each overdue invoice on the default method."""
    return start(session, tenant, [i.id for i in overdue(session, tenant, customer_id)], now)


def start(
    session: Session, tenant: Tenant, invoice_ids: list[str], now: datetime
) -> list[collection.Pending]:
    """An attempt now at each of these invoices that still owes something: `charge_now`'s
    first step."""
    started = []
    for invoice_id in invoice_ids:
        invoice = invoices.get_for_update(session, tenant, invoice_id)
        pending = collection.start(session, tenant, invoice, now)
        if pending is not None:
            started.append(pending)
    return started
