"""Settings, Email templates: every email in each language, whether the account replaced
Recura's version, an editor for the account's own version, and a preview with sample values.

Saving goes through `email_templates.service.put` with the check `PUT /v1/email_templates`
uses (`notifications.overrides.check`: the override must render with the email's sample
values within the sandbox's budget), so a template the API refuses is refused here too,
the reason beside the part that failed. The preview renders the text typed, saved or not,
in the same sandbox, and answers it as a document of its own whose policy runs no script
and loads nothing (`sandbox`), opened in a new tab: the operator's HTML never enters the
console's pages.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from recura.console import audit, auth, modes, pages
from recura.console.auth import Operator
from recura.console.settings import PAGES, READ, WRITE
from recura.domains.common.errors import InvalidError, NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.email_templates import service as email_templates
from recura.domains.email_templates.schemas import EmailTemplateIn
from recura.notifications import overrides, rendering, sandbox, sandbox_process

router = APIRouter(prefix="/console/settings/emails")
LOCALES = ("en", "ro")
PARTS = ("subject", "html", "text")
# Three parts of up to 100,000 characters each, as the API takes them, percent-encoded.
MAX_BYTES = 1_000_000
DONE = {"saved", "reverted"}
# The preview's own policy: nothing runs, nothing loads but its inline styles and the
# QR code's data: image; `sandbox` gives it an origin of its own.
PREVIEW_POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)


def _tenant(operator: Operator, test: bool) -> Tenant:
    return Tenant(operator.account.id, livemode=not test)


def _known(template: str, locale: str) -> bool:
    return template in rendering.TEMPLATES and locale in LOCALES


@router.get("")
def listing(
    request: Request, test: bool = Depends(modes.is_test), operator: Operator = Depends(READ)
) -> HTMLResponse:
    with pages.unit(request) as session:
        rows = email_templates.all_of(session, _tenant(operator, test))
        found = {(r.template, r.locale): r for r in rows}
        session.expunge_all()
    return auth.render(
        request,
        operator,
        "settings_emails.html",
        settings_page="emails",
        settings_pages=PAGES,
        templates=rendering.TEMPLATES,
        locales=LOCALES,
        overrides=found,
        test=test,
        mode="test" if test else "live",
    )


def _editor(
    request: Request,
    operator: Operator,
    template: str,
    locale: str,
    test: bool,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    done: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    with pages.unit(request) as session:
        try:
            row = email_templates.get(session, _tenant(operator, test), template, locale)
            saved = {part: getattr(row, part) for part in PARTS}
            disabled = row.disabled_reason if row.disabled_at else None
        except NotFoundError:
            saved, disabled = {}, None
    return auth.render(
        request,
        operator,
        "settings_email.html",
        status,
        settings_page="emails",
        settings_pages=PAGES,
        email=template,
        template_locale=locale,
        values=values if values is not None else saved,
        overridden=bool(saved),
        disabled=disabled,
        variables=rendering.variables(template),
        errors=errors or {},
        done=done if done in DONE else None,
        test=test,
        mode="test" if test else "live",
    )


@router.get("/{template}/{locale}")
def editor(
    template: str,
    locale: str,
    request: Request,
    test: bool = Depends(modes.is_test),
    done: str | None = None,
    operator: Operator = Depends(READ),
) -> Response:
    if not _known(template, locale):
        return auth.render(request, operator, "not_found.html", 404)
    return _editor(request, operator, template, locale, test, done=done)


@router.post("/{template}/{locale}")
async def save(
    template: str, locale: str, request: Request, operator: Operator = Depends(WRITE)
) -> Response:
    fields = await pages.form(request, MAX_BYTES)
    return await run_in_threadpool(_save, request, operator, template, locale, fields)


def _save(
    request: Request, operator: Operator, template: str, locale: str, fields: dict[str, str]
) -> Response:
    if not _known(template, locale):
        return auth.render(request, operator, "not_found.html", 404)
    test = fields.get("mode") == "test"
    values = {part: fields.get(part, "") for part in PARTS}
    form = f"email_{template}_{locale}"
    if not auth.form_accepted(request, operator, form, fields):
        errors = {"": pages.text("page.form_expired", operator.locale)}
        return _editor(
            request, operator, template, locale, test, values=values, errors=errors, status=403
        )
    tenant = _tenant(operator, test)
    try:
        data = EmailTemplateIn(**values)
        # The check renders before the unit of work opens: no transaction waits on it.
        overrides.check(template, locale, data)
        with pages.unit(request) as session:
            row, _ = email_templates.put(
                session,
                tenant,
                template,
                locale,
                data,
                request.app.state.clock.now(),
                lambda *_: None,  # checked above
            )
            audit.record(
                session,
                request,
                operator,
                "email_template.save",
                "email_template",
                row.id,
                livemode=tenant.livemode,
            )
    except (ValidationError, InvalidError) as error:
        errors = _problems(error, operator.locale)
        return _editor(
            request, operator, template, locale, test, values=values, errors=errors, status=422
        )
    return RedirectResponse(_back(template, locale, test, "saved"), status_code=303)


@router.post("/{template}/{locale}/revert")
async def revert(
    template: str, locale: str, request: Request, operator: Operator = Depends(WRITE)
) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_revert, request, operator, template, locale, fields)


def _revert(
    request: Request, operator: Operator, template: str, locale: str, fields: dict[str, str]
) -> Response:
    if not _known(template, locale):
        return auth.render(request, operator, "not_found.html", 404)
    test = fields.get("mode") == "test"
    if not auth.form_accepted(request, operator, f"email_revert_{template}_{locale}", fields):
        errors = {"": pages.text("page.form_expired", operator.locale)}
        return _editor(request, operator, template, locale, test, errors=errors, status=403)
    tenant = _tenant(operator, test)
    try:
        with pages.unit(request) as session:
            row = email_templates.delete(session, tenant, template, locale)
            audit.record(
                session,
                request,
                operator,
                "email_template.delete",
                "email_template",
                row.id,
                livemode=tenant.livemode,
            )
    except NotFoundError:
        return auth.render(request, operator, "not_found.html", 404)
    return RedirectResponse(_back(template, locale, test, "reverted"), status_code=303)


@router.post("/{template}/{locale}/preview")
async def preview(
    template: str, locale: str, request: Request, operator: Operator = Depends(READ)
) -> Response:
    fields = await pages.form(request, MAX_BYTES)
    return await run_in_threadpool(_preview, request, operator, template, locale, fields)


def _preview(
    request: Request, operator: Operator, template: str, locale: str, fields: dict[str, str]
) -> Response:
    """The email with sample values: the text typed when there is some, else Recura's own."""
    if not _known(template, locale):
        return auth.render(request, operator, "not_found.html", 404)
    test = fields.get("mode") == "test"
    values = {part: fields.get(part, "") for part in PARTS}
    if not auth.form_accepted(request, operator, f"email_{template}_{locale}", fields):
        errors = {"": pages.text("page.form_expired", operator.locale)}
        return _editor(
            request, operator, template, locale, test, values=values, errors=errors, status=403
        )
    if not any(values.values()):
        html = rendering.sample(template, locale).html
    else:
        try:
            data = EmailTemplateIn(**values)
            sample = rendering.view(
                template,
                locale,
                rendering.SAMPLES[template],
                rendering.SAMPLE_BRAND,
                rendering.SAMPLE_LINKS,
            )
            _, html, _ = overrides.render(
                overrides.Override(data.subject, data.html, data.text), sample
            )
        except ValidationError as error:
            errors = _problems(error, operator.locale)
            return _editor(
                request, operator, template, locale, test, values=values, errors=errors, status=422
            )
        except (sandbox.Refused, sandbox_process.Unavailable) as refused:
            part = getattr(refused, "part", None) or ""
            reason = getattr(refused, "reason", "")
            errors = {part: pages.text("emails.error.render", operator.locale, reason=reason)}
            return _editor(
                request, operator, template, locale, test, values=values, errors=errors, status=422
            )
    response = HTMLResponse(html)
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


def _problems(error: ValidationError | InvalidError, locale: str) -> dict[str, str]:
    if isinstance(error, ValidationError):
        return {
            str(e["loc"][0]): pages.text("emails.error.required", locale)
            for e in error.errors()
            if e["loc"]
        }
    return {
        e.pointer.strip("/"): pages.text("emails.error.render", locale, reason=e.detail)
        for e in error.errors
    }


def _back(template: str, locale: str, test: bool, done: str) -> str:
    query = f"{'mode=test&' if test else ''}done={done}"
    return f"/console/settings/emails/{template}/{locale}?{query}"
