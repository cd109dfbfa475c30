"""The recorded emails, read: newest first, by customer, status, template or event."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from recura.db.models import EmailMessage
from recura.domains.common import lookup
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.email_messages import repository
from recura.domains.email_messages.schemas import EmailMessageOut


def get(session: Session, tenant: Tenant, message_id: str) -> EmailMessage:
    return lookup.require(session, tenant, EmailMessage, message_id, "email message")


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    filters: Mapping[str, str | None],
) -> Page[EmailMessage]:
    """Newest first; `filters` by the names in repository.FILTERS, None for any."""
    return repository.page(session, tenant, limit, starting_after, filters)


def to_out(row: EmailMessage) -> EmailMessageOut:
    return EmailMessageOut(
        id=row.id,
        customer=row.customer_id,
        event=row.event_id,
        template=row.template,
        locale=row.locale,
        to=row.to_address,
        subject=row.subject,
        text=row.text,
        html=row.html,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        message_id=row.message_id,
        send_after=row.send_after,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        sent_at=row.sent_at,
        livemode=row.livemode,
    )
