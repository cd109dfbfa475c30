"""Operators' own versions of the emails, per email and language.

An override is Jinja2 source for the subject, the HTML and the text, rendered with exactly
the values Recura's own version of that email gets. Saving one first renders it with sample
values, within the rendering budget, through `check` (the notifications layer's sandbox):
a typo, an unknown variable or a template that would run away is a 422, not a failed email.
Saving also puts back an override that sending had set aside.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import EmailTemplate
from recura.domains.audit import changes as audit
from recura.domains.common.errors import NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.email_templates import repository
from recura.domains.email_templates.schemas import EmailTemplateIn, EmailTemplateOut
from recura.ids import new_id

# What an audit entry shows of an override's change.
AUDITED = ("subject", "html", "text")
# Renders (template, locale, override) with sample values; raises InvalidError when it can't.
Check = Callable[[str, str, EmailTemplateIn], None]


def put(
    session: Session,
    tenant: Tenant,
    template: str,
    locale: str,
    data: EmailTemplateIn,
    now: datetime,
    check: Check,
) -> tuple[EmailTemplate, bool]:
    """Save the override once `check` passes; returns it and whether it is new. The check
    runs before the first query: a caller without a transaction open keeps none open while
    it renders."""
    check(template, locale, data)
    row = repository.find(session, tenant, template, locale, lock=True)
    before = {} if row is None else audit.snapshot(row, AUDITED)
    created = row is None
    if row is None:
        row = EmailTemplate(
            id=new_id("email_template"),
            **tenant.row_keys(),
            template=template,
            locale=locale,
            created_at=now,
        )
        session.add(row)
    row.subject, row.html, row.text, row.updated_at = data.subject, data.html, data.text, now
    row.disabled_at = row.disabled_reason = None
    session.flush()
    audit.note(session, before, audit.snapshot(row, AUDITED))
    return row, created


def get(session: Session, tenant: Tenant, template: str, locale: str) -> EmailTemplate:
    row = repository.find(session, tenant, template, locale)
    if row is None:
        raise NotFoundError("email template override", f"{template}/{locale}")
    return row


def delete(session: Session, tenant: Tenant, template: str, locale: str) -> EmailTemplate:
    row = repository.find(session, tenant, template, locale, lock=True)
    if row is None:
        raise NotFoundError("email template override", f"{template}/{locale}")
    audit.note(session, audit.snapshot(row, AUDITED), {})
    session.delete(row)
    session.flush()
    return row


def all_of(session: Session, tenant: Tenant) -> list[EmailTemplate]:
    return repository.all_of(session, tenant)


def to_out(row: EmailTemplate, variables: Sequence[str]) -> EmailTemplateOut:
    """`variables`: the names an override of `row.template` may use."""
    return EmailTemplateOut(
        id=row.id,
        template=row.template,
        locale=row.locale,
        subject=row.subject,
        html=row.html,
        text=row.text,
        variables=list(variables),
        disabled_at=row.disabled_at,
        disabled_reason=row.disabled_reason,
        livemode=row.livemode,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
