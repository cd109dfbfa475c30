"""Operators' own versions of the emails, per email and language.

An override is Jinja2 source for the subject, the HTML and the text; it is rendered in a
sandbox with exactly the values Recura's own version of that email gets. Saving one renders
it with sample values first, so a typo or an unknown variable is a 422, not a failed email.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from recura.db.models import EmailTemplate
from recura.domains.common.errors import FieldError, InvalidError, NotFoundError
from recura.domains.common.fields import Schema, example, example_in
from recura.domains.common.tenant import Tenant
from recura.ids import new_id
from recura.notifications import rendering

LocaleName = Literal["en", "ro"]
Source = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]

_EXAMPLE_IN = {
    "subject": "Chitanța pentru factura {{ number }}",
    "html": "<p>Bună, {{ customer_name }}! Am primit {{ amount }} pe {{ paid_at }}.</p>",
    "text": "Bună, {{ customer_name }}! Am primit {{ amount }} pe {{ paid_at }}.",
}


class EmailTemplateIn(Schema):
    model_config = example_in(_EXAMPLE_IN)

    subject: Annotated[str, StringConstraints(min_length=1, max_length=998)] = Field(
        description="Jinja2; one line once rendered."
    )
    html: Source = Field(description="Jinja2 for the HTML part; values are escaped.")
    text: Source = Field(description="Jinja2 for the plain-text part.")


class EmailTemplateOut(BaseModel):
    model_config = example(
        {
            "object": "email_template",
            "id": "etpl_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "template": "receipt",
            "locale": "ro",
            **_EXAMPLE_IN,
            "variables": rendering.variables("receipt"),
            "livemode": False,
            "created_at": "2026-01-15T09:30:00Z",
            "updated_at": "2026-01-15T09:30:00Z",
        }
    )

    object: Literal["email_template"] = "email_template"
    id: str
    template: str
    locale: str
    subject: str
    html: str
    text: str
    variables: list[str] = Field(description="What the templates may use.")
    livemode: bool
    created_at: datetime
    updated_at: datetime


def _check(template: str, locale: str, data: EmailTemplateIn) -> None:
    override = rendering.Override(data.subject, data.html, data.text)
    for field, source in (("subject", data.subject), ("html", data.html), ("text", data.text)):
        one = rendering.Override(
            source if field == "subject" else "x",
            source if field == "html" else "x",
            source if field == "text" else "x",
        )
        try:
            rendering.sample(template, locale, one)
        except Exception as error:  # syntax, unknown variable, sandbox refusal, bad filter
            known = ", ".join(rendering.variables(template))
            message = f"does not render: {error}. Known variables: {known}"
            raise InvalidError([FieldError(f"/{field}", message[:1000])]) from None
    rendering.sample(template, locale, override)


def _find(session: Session, tenant: Tenant, template: str, locale: str) -> EmailTemplate | None:
    stmt = tenant.scope(select(EmailTemplate), EmailTemplate).where(
        EmailTemplate.template == template, EmailTemplate.locale == locale
    )
    return session.scalars(stmt.with_for_update()).first()


def put(
    session: Session,
    tenant: Tenant,
    template: str,
    locale: str,
    data: EmailTemplateIn,
    now: datetime,
) -> tuple[EmailTemplate, bool]:
    """Save the override; returns it and whether it is new."""
    _check(template, locale, data)
    row = _find(session, tenant, template, locale)
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
    session.flush()
    return row, created


def get(session: Session, tenant: Tenant, template: str, locale: str) -> EmailTemplate:
    row = _find(session, tenant, template, locale)
    if row is None:
        raise NotFoundError("email template override", f"{template}/{locale}")
    return row


def delete(session: Session, tenant: Tenant, template: str, locale: str) -> EmailTemplate:
    row = get(session, tenant, template, locale)
    session.delete(row)
    session.flush()
    return row


def all_of(session: Session, tenant: Tenant) -> list[EmailTemplate]:
    stmt = tenant.scope(select(EmailTemplate), EmailTemplate)
    return list(session.scalars(stmt.order_by(EmailTemplate.template, EmailTemplate.locale)))


def to_out(row: EmailTemplate) -> EmailTemplateOut:
    return EmailTemplateOut(
        id=row.id,
        template=row.template,
        locale=row.locale,
        subject=row.subject,
        html=row.html,
        text=row.text,
        variables=rendering.variables(row.template),
        livemode=row.livemode,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
