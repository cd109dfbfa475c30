from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
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
