"""The test clocks' queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from recura.db.models import TestClock
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None
) -> Page[TestClock]:
    return paginate(
        session, tenant.scope(select(TestClock), TestClock), TestClock, limit, starting_after
    )


def lock(session: Session, clock: TestClock) -> None:
    """The clock's row, read again FOR UPDATE."""
    session.refresh(clock, with_for_update=True)
