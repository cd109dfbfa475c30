"""Operators' overrides of the subscriber emails, one per email and language."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.notifications import overrides
from recura.notifications.overrides import EmailTemplateIn, EmailTemplateOut, LocaleName
from recura.notifications.rendering import TemplateName

router = APIRouter(
    prefix="/v1/email_templates",
    tags=["emails"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 422),
)
EmailTemplateList = list_schema(EmailTemplateOut)


@router.get("", response_model=EmailTemplateList, summary="List the account's overrides")
def list_email_templates(session: SessionDep, tenant: TenantDep) -> BaseModel:
    found = overrides.all_of(session, tenant)
    return EmailTemplateList(data=[overrides.to_out(r) for r in found], has_more=False)


@router.get(
    "/{template}/{locale}", response_model=EmailTemplateOut, summary="Get an email's override"
)
def get_email_template(
    template: TemplateName, locale: LocaleName, session: SessionDep, tenant: TenantDep
) -> EmailTemplateOut:
    return overrides.to_out(overrides.get(session, tenant, template, locale))


@router.put(
    "/{template}/{locale}",
    response_model=EmailTemplateOut,
    responses={201: {"model": EmailTemplateOut, "description": "Created"}},
    summary="Replace an email in one language with the account's own version",
    description="Jinja2 for the subject, HTML and text, rendered in a sandbox with the values "
    "listed in `variables`; it must render with sample values or the request is a 422.",
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
    row, created = overrides.put(session, tenant, template, locale, body, clock.now())
    response.status_code = 201 if created else 200
    return overrides.to_out(row)


@router.delete(
    "/{template}/{locale}",
    response_model=EmailTemplateOut,
    summary="Go back to Recura's version of the email",
)
def delete_email_template(
    template: TemplateName, locale: LocaleName, session: SessionDep, tenant: TenantDep
) -> EmailTemplateOut:
    return overrides.to_out(overrides.delete(session, tenant, template, locale))
