from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from recura.db.models import EmailMessage
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant

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
