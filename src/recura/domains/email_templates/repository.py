"""The queries on operators' email overrides."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from recura.db.models import EmailTemplate
from recura.domains.common.tenant import Tenant


def find(
    session: Session, tenant: Tenant, template: str, locale: str, *, lock: bool = False
) -> EmailTemplate | None:
    stmt = tenant.scope(select(EmailTemplate), EmailTemplate).where(
        EmailTemplate.template == template, EmailTemplate.locale == locale
    )
    return session.scalars(stmt.with_for_update() if lock else stmt).first()


def in_use(session: Session, tenant: Tenant, template: str, locale: str) -> EmailTemplate | None:
    """The override an email is sent with: None when there is none or it was set aside."""
    stmt = tenant.scope(select(EmailTemplate), EmailTemplate).where(
        EmailTemplate.template == template,
        EmailTemplate.locale == locale,
        EmailTemplate.disabled_at.is_(None),
    )
    return session.scalars(stmt).first()


def all_of(session: Session, tenant: Tenant) -> list[EmailTemplate]:
    stmt = tenant.scope(select(EmailTemplate), EmailTemplate)
    return list(session.scalars(stmt.order_by(EmailTemplate.template, EmailTemplate.locale)))


def set_aside(
    session: Session,
    tenant: Tenant,
    template_id: str,
    sources: tuple[str, str, str],
    reason: str,
    now: datetime,
) -> bool:
    """Disable the override for `reason`, unless it was changed since it was read (its
    subject, HTML and text are no longer `sources`) or is disabled already."""
    subject, html, text = sources
    stmt = (
        update(EmailTemplate)
        .where(
            EmailTemplate.account_id == tenant.account_id,
            EmailTemplate.livemode == tenant.livemode,
            EmailTemplate.id == template_id,
            EmailTemplate.disabled_at.is_(None),
            EmailTemplate.subject == subject,
            EmailTemplate.html == html,
            EmailTemplate.text == text,
        )
        .values(disabled_at=now, disabled_reason=reason[:1000])
        .execution_options(synchronize_session=False)
    )
    changed: int = session.execute(stmt).rowcount  # type: ignore[attr-defined]
    return changed == 1
