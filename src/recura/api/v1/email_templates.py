"""Operators' overrides of the subscriber emails, one per email and language."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.db.models import EmailTemplate
from recura.domains.email_templates import service
from recura.domains.email_templates.schemas import EmailTemplateIn, EmailTemplateOut, LocaleName
from recura.notifications import overrides, rendering
from recura.notifications.rendering import TemplateName

router = APIRouter(
    prefix="/v1/email_templates",
    tags=["emails"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 422),
)
EmailTemplateList = list_schema(EmailTemplateOut)


def _out(row: EmailTemplate) -> EmailTemplateOut:
    return service.to_out(row, rendering.variables(row.template))


@router.get("", response_model=EmailTemplateList, summary="List the account's overrides")
def list_email_templates(session: SessionDep, tenant: TenantDep) -> BaseModel:
    found = service.all_of(session, tenant)
    return EmailTemplateList(data=[_out(r) for r in found], has_more=False)


@router.get(
    "/{template}/{locale}", response_model=EmailTemplateOut, summary="Get an email's override"
)
def get_email_template(
    template: TemplateName, locale: LocaleName, session: SessionDep, tenant: TenantDep
) -> EmailTemplateOut:
    return _out(service.get(session, tenant, template, locale))


@router.put(
    "/{template}/{locale}",
    response_model=EmailTemplateOut,
    responses={201: {"model": EmailTemplateOut, "description": "Created"}},
    summary="Replace an email in one language with the account's own version",
    description="Jinja2 for the subject, HTML and text, rendered in a sandbox with the values "
    "listed in `variables`; it must render with sample values, within the rendering budget "
    "(loop iterations and calls, the size of any value built, the output's size, processor "
    "time, memory and a deadline), or the request is a 422. Saving puts back an override "
    "that was disabled.",
)
def put_email_template(
    template: TemplateName,
    locale: LocaleName,
    body: EmailTemplateIn,
    response: Response,
    session: SessionDep,
    tenant: TenantDep,
    clock: ClockDep,
) -> EmailTemplateOut:
    # The check renders before the save: end the authentication's read first, so no
    # transaction (on SQLite, no write lock) waits on the renderer.
    session.commit()
    row, created = service.put(
        session, tenant, template, locale, body, clock.now(), overrides.check
    )
    response.status_code = 201 if created else 200
    return _out(row)


@router.delete(
    "/{template}/{locale}",
    response_model=EmailTemplateOut,
    summary="Go back to Recura's version of the email",
)
def delete_email_template(
    template: TemplateName, locale: LocaleName, session: SessionDep, tenant: TenantDep
) -> EmailTemplateOut:
    return _out(service.delete(session, tenant, template, locale))
