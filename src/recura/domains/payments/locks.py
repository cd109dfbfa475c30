"""Money operations on one customer happen one at a time."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from recura.domains.common.tenant import Tenant
from recura.domains.payments import repository


def hold_customer(session: Session, tenant: Tenant, customer_id: str) -> None:
    """Until the transaction ends, no other charge, refund or transfer for this customer
    proceeds. On PostgreSQL an advisory lock keyed by the customer (it locks no row, so
    readers and unrelated writers never wait); SQLite already runs one writer at a time."""
    if session.get_bind().dialect.name != "postgresql":
        return
    repository.advisory_lock(session, _name(tenant, customer_id))


def hold_customers(session: Session, customers: Collection[tuple[Tenant, str]]) -> None:
    """`hold_customer` of each (tenant, customer id), in one statement."""
    if session.get_bind().dialect.name != "postgresql":
        return
    repository.advisory_locks(session, [_name(t, c) for t, c in customers])


def _name(tenant: Tenant, customer_id: str) -> str:
    return f"money:{tenant.account_id}:{customer_id}"
