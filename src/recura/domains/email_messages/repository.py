from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, delete, not_, or_, select, tuple_, update
from sqlalchemy.orm import Session

from recura.db.models import EmailMessage, TestClock
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant

S = TypeVar("S", bound=Select[*tuple[Any, ...]])

# The list's query parameters and the columns they filter.
FILTERS = {
    "customer": EmailMessage.customer_id,
    "status": EmailMessage.status,
    "template": EmailMessage.template,
    "event": EmailMessage.event_id,
}


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    filters: Mapping[str, str | None],
) -> Page[EmailMessage]:
    """Newest first; `filters` by the names in FILTERS, None for any."""
    stmt = tenant.scope(select(EmailMessage), EmailMessage).where(
        *(FILTERS[name] == value for name, value in filters.items() if value is not None)
    )
    return paginate(session, stmt, EmailMessage, limit, starting_after)


def lock_finished(
    session: Session, statuses: Collection[str], before: datetime, limit: int
) -> list[tuple[str, str]]:
    """(account, id) of up to `limit` emails of every account in `statuses` last changed
    before `before`, FOR UPDATE SKIP LOCKED."""
    stmt = (
        select(EmailMessage.account_id, EmailMessage.id)
        .where(EmailMessage.status.in_(statuses), EmailMessage.updated_at < before)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [(account_id, row_id) for account_id, row_id in session.execute(stmt)]


def delete_by_key(session: Session, keys: list[tuple[str, str]]) -> None:
    """The emails whose (account, id) is among `keys`."""
    stmt = delete(EmailMessage).where(tuple_(EmailMessage.account_id, EmailMessage.id).in_(keys))
    session.execute(stmt.execution_options(synchronize_session=False))


def templates_written(session: Session, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
    """(event, template) of the emails written for the events of (account, event) `keys`:
    one query per account."""
    written: set[tuple[str, str]] = set()
    for account_id in {a for a, _ in keys}:
        ids = [i for a, i in keys if a == account_id]
        stmt = select(EmailMessage.event_id, EmailMessage.template).where(
            EmailMessage.account_id == account_id, EmailMessage.event_id.in_(ids)
        )
        written |= {(event_id, template) for event_id, template in session.execute(stmt)}
    return written


def lock_due(
    session: Session, now: datetime, limit: int, max_age: timedelta, abandoned_before: datetime
) -> list[EmailMessage]:
    """Up to `limit` pending emails due (on their customer's clock, when it has one) and
    still timely, and `sending` ones claimed before `abandoned_before`, soonest first, FOR
    UPDATE SKIP LOCKED."""
    pending = and_(
        EmailMessage.status == "pending",
        _due(now),
        _timely(now, max_age),
        or_(EmailMessage.next_attempt_at.is_(None), EmailMessage.next_attempt_at <= now),
    )
    stale = and_(EmailMessage.status == "sending", EmailMessage.claimed_at <= abandoned_before)
    stmt = (
        _with_clock(select(EmailMessage))
        .where(or_(pending, stale))
        .order_by(EmailMessage.send_after, EmailMessage.id)
        .limit(limit)
        .with_for_update(of=EmailMessage, skip_locked=True)
    )
    return list(session.scalars(stmt))


def lock_untimely(
    session: Session, now: datetime, max_age: timedelta, limit: int
) -> list[tuple[EmailMessage, datetime | None]]:
    """Up to `limit` pending emails due for longer than `max_age`, each with when its test
    clock last moved (None without one), soonest first, FOR UPDATE SKIP LOCKED."""
    stmt = (
        _with_clock(select(EmailMessage, TestClock.updated_at))
        .where(EmailMessage.status == "pending", _due(now), not_(_timely(now, max_age)))
        .order_by(EmailMessage.send_after, EmailMessage.id)
        .limit(limit)
        .with_for_update(of=EmailMessage, skip_locked=True)
    )
    return [(row, clock_moved) for row, clock_moved in session.execute(stmt)]


def skip_pending(session: Session, tenant: Tenant, now: datetime, reason: str) -> int:
    """Every pending email of the tenant `skipped` for `reason`; how many."""
    stmt = (
        update(EmailMessage)
        .where(
            EmailMessage.account_id == tenant.account_id,
            EmailMessage.livemode == tenant.livemode,
            EmailMessage.status == "pending",
        )
        .values(status="skipped", last_error=reason[:1000], next_attempt_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    count: int = session.execute(stmt).rowcount  # type: ignore[attr-defined]
    return count


def lock_sending(session: Session, keys: Sequence[tuple[str, str]]) -> Sequence[EmailMessage]:
    """The emails of (account, id) `keys` still `sending`, locked in the keys' order."""
    return session.scalars(
        select(EmailMessage)
        .where(
            tuple_(EmailMessage.account_id, EmailMessage.id).in_(keys),
            EmailMessage.status == "sending",
        )
        .order_by(EmailMessage.account_id, EmailMessage.id)
        .with_for_update()
    ).all()


def _with_clock(stmt: S) -> S:
    """`stmt` with each email's test clock, when it has one, for `_due` and `_timely`."""
    return stmt.outerjoin(
        TestClock,
        (TestClock.account_id == EmailMessage.account_id)
        & (TestClock.id == EmailMessage.test_clock_id),
    )


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(EmailMessage.test_clock_id.is_(None), EmailMessage.send_after <= now),
        and_(
            EmailMessage.test_clock_id.is_not(None),
            EmailMessage.send_after <= TestClock.frozen_time,
        ),
    )


def _timely(now: datetime, max_age: timedelta) -> ColumnElement[bool]:
    """Due for no longer than `max_age` of real time: since `send_after`, or for an email
    on a test clock, since the later of its writing and its clock's last move."""
    cutoff = now - max_age
    return or_(
        and_(EmailMessage.test_clock_id.is_(None), EmailMessage.send_after >= cutoff),
        and_(
            EmailMessage.test_clock_id.is_not(None),
            or_(EmailMessage.created_at >= cutoff, TestClock.updated_at >= cutoff),
        ),
    )
