"""The Settings section: the account's own settings, a page each (legal data, VAT,
invoicing and dunning, branding and public pages, portal options), read by `settings.read`
and saved by `settings.write`.

Each form becomes the body `PATCH /v1/account` takes and goes through the same
`accounts.service.update_account`, so the console refuses exactly what the API refuses; the
audit entry (`account.update`) carries what the service noted changed, before and after.
Processors, webhooks and email templates have their own modules (`settings_processors.py`,
`settings_webhooks.py`, `settings_emails.py`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.console import audit, auth, pages
from recura.console import settings_forms as forms
from recura.console.auth import Operator
from recura.domains.accounts import bank_accounts
from recura.domains.accounts import repository as account_rows
from recura.domains.accounts import service as accounts
from recura.domains.common.errors import ConflictError, InvalidError, NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.customers import billing
from recura.domains.plans import repository as plans

router = APIRouter(prefix="/console/settings")
READ = auth.require("settings.read")
WRITE = auth.require("settings.write")
# The settings pages in the order the section lists them.
PAGES = ("legal", "vat", "invoicing", "processors", "webhooks", "emails", "branding", "portal")
DONE = {"saved", "bank_added", "bank_removed", "logo_saved", "logo_removed"}


def tenant_of(operator: Operator) -> Tenant:
    """Account settings are the account's in both modes; a plan or coupon they name is a
    live one, as the public pages under /p/{slug} are."""
    return Tenant(operator.account.id, livemode=True)


def _page(
    request: Request,
    operator: Operator,
    name: str,
    *,
    done: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    form = forms.FORMS[name]
    with pages.unit(request) as session:
        account = accounts.get_account(session, operator.account.id)
        shown = values if values is not None else forms.shown(form, account)
        choices = {
            "plan": [(p.id, p.name) for p in plans.active(session, tenant_of(operator))],
            "county": list(billing.counties().items()),
        }
        extra = _legal_extras(session, operator) if name == "legal" else {}
        session.expunge_all()
    return auth.render(
        request,
        operator,
        "settings_form.html",
        status,
        settings_page=name,
        settings_pages=PAGES,
        form=form,
        values=shown,
        errors=errors or {},
        choices=choices,
        done=done if done in DONE else None,
        **extra,
    )


def _legal_extras(session: Session, operator: Operator) -> dict[str, Any]:
    """The legal page's other parts: the bank accounts of each mode, and the logo."""
    found = []
    for livemode in (True, False):
        tenant = Tenant(operator.account.id, livemode)
        found += bank_accounts.registered(session, tenant)
    logo = account_rows.logo_hash(session, operator.account.id)
    return {
        "bank_accounts": found,
        "logo_url": f"/assets/logos/{operator.account.id}/{logo}" if logo else None,
    }


def legal_page(
    request: Request, operator: Operator, *, errors: dict[str, str], status: int
) -> HTMLResponse:
    """The legal page answering a refused bank account or logo (`settings_legal.py`)."""
    return _page(request, operator, "legal", errors=errors, status=status)


@router.get("")
def index(request: Request, operator: Operator = Depends(READ)) -> HTMLResponse:
    return auth.render(request, operator, "settings.html", settings_page=None, settings_pages=PAGES)


def _viewer(name: str) -> Any:
    def view(request: Request, done: str | None = None, operator: Operator = Depends(READ)) -> Any:
        return _page(request, operator, name, done=done)

    return view


def _saver(name: str) -> Any:
    async def save(request: Request, operator: Operator = Depends(WRITE)) -> Response:
        fields = await pages.form(request)
        return await run_in_threadpool(_save, request, operator, name, fields)

    return save


def _save(request: Request, operator: Operator, name: str, fields: dict[str, str]) -> Response:
    form = forms.FORMS[name]
    values = forms.read(form, fields)
    locale = operator.locale
    if not auth.form_accepted(request, operator, f"settings_{name}", fields):
        error = {"": pages.text("page.form_expired", locale)}
        return _page(request, operator, name, values=values, errors=error, status=403)
    try:
        with pages.unit(request) as session:
            account = accounts.get_account(session, operator.account.id)
            data = forms.body(form, values, account)
            accounts.update_account(
                session, tenant_of(operator), data, request.app.state.clock.now()
            )
            audit.record(session, request, operator, "account.update", "account", account.id)
    except forms.Refused as refused:
        errors = {
            field: pages.text(key, locale, **given)
            for field, (key, given) in refused.problems.items()
        }
        return _page(request, operator, name, values=values, errors=errors, status=422)
    except billing.BillingDetailsInvalid as invalid:
        return _page(
            request,
            operator,
            name,
            values=values,
            errors=_placed(form, invalid, locale),
            status=422,
        )
    except (ConflictError, NotFoundError, InvalidError) as problem:
        errors = {_field_of(form, problem): pages.text(_key_of(problem), locale)}
        return _page(request, operator, name, values=values, errors=errors, status=422)
    return RedirectResponse(f"/console/settings/{name}?done=saved", status_code=303)


def _placed(
    form: forms.Form, invalid: billing.BillingDetailsInvalid, locale: str
) -> dict[str, str]:
    names = {f.name for f in form.fields}
    return {
        forms.field_of(p.pointer.strip("/").split("/"), names): p.message(locale)
        for p in invalid.problems
    }


def _field_of(form: forms.Form, problem: Exception) -> str:
    names = {f.name for f in form.fields}
    if isinstance(problem, ConflictError):
        return "slug"
    if isinstance(problem, NotFoundError):
        return "pricing_highlight_plan_id"
    assert isinstance(problem, InvalidError)
    pointer = problem.errors[0].pointer if problem.errors else ""
    return forms.field_of(pointer.strip("/").split("/"), names) if pointer else ""


def _key_of(problem: Exception) -> str:
    if isinstance(problem, ConflictError):
        return "settings.error.slug_taken"
    if isinstance(problem, NotFoundError):
        return "settings.error.not_found"
    return "settings.error.not_usable"


for _name in forms.FORMS:
    router.add_api_route(
        f"/{_name}", _viewer(_name), methods=["GET"], name=f"console_settings_{_name}"
    )
    router.add_api_route(
        f"/{_name}", _saver(_name), methods=["POST"], name=f"console_settings_{_name}_save"
    )
