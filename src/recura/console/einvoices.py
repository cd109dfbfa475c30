"""The e-invoices page (Invoices → e-Factura): every e-invoice with its state at ANAF,
filtered by state and by risk (not accepted with its upload deadline within 2 working
days or past), ANAF's messages on a rejected one, and the button that corrects it (a
credit note for the whole invoice and a new invoice in its place: `efactura.correction`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from recura.console import audit, auth, modes, pages
from recura.console.auth import Operator
from recura.domains.common.errors import ConflictError, NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.efactura import correction, service

router = APIRouter(prefix="/console/einvoices")
READ = auth.require("invoices.read")
WRITE = auth.require("invoices.write")
PER_PAGE = 25
STATES = ("invalid", "pending", "uploaded", "accepted", "rejected")
DONE = {"corrected"}
ERRORS = {"not_found", "conflict"}


def _tenant(operator: Operator, test: bool) -> Tenant:
    return Tenant(operator.account.id, livemode=not test)


@router.get("")
def einvoice_list(
    request: Request,
    state: str = "",
    at_risk: bool = False,
    after: str = "",
    test: bool = Depends(modes.is_test),
    done: str = "",
    error: str = "",
    operator: Operator = Depends(READ),
) -> HTMLResponse:
    chosen = state if state in STATES else None
    tenant = _tenant(operator, test)
    now = request.app.state.clock.now()
    with pages.unit(request) as session:
        found = service.page(session, tenant, PER_PAGE, after[:64] or None, chosen, at_risk, now)
        numbers = service.invoice_numbers(session, tenant, found.items)
        rows = [service.to_out(row, now) for row in found.items]
    filters = {
        "state": chosen or "",
        "at_risk": "1" if at_risk else "",
        "mode": "test" if test else "",
    }
    kept = {name: value for name, value in filters.items() if value}
    more = "?" + urlencode({**kept, "after": rows[-1].id}) if found.has_more else None
    return auth.render(
        request,
        operator,
        "einvoices.html",
        rows=rows,
        numbers=numbers,
        states=STATES,
        chosen=chosen,
        at_risk=at_risk,
        test=test,
        done=done if done in DONE else None,
        error=f"einvoices.error.{error}" if error in ERRORS else None,
        first_page="?" + urlencode(kept) if after else None,
        more=more,
        other_mode="?" + urlencode({} if test else {"mode": "test"}),
    )


@router.post("/{einvoice_id}/correct")
async def correct(
    einvoice_id: str, request: Request, operator: Operator = Depends(WRITE)
) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_correct, request, operator, einvoice_id[:64], fields)


def _correct(
    request: Request, operator: Operator, einvoice_id: str, fields: dict[str, str]
) -> Response:
    test = fields.get("mode") == "test"
    back = "/console/einvoices?" + urlencode({"mode": "test"} if test else {})
    if not auth.form_accepted(request, operator, f"einvoice_correct_{einvoice_id}", fields):
        return RedirectResponse(back + "&error=conflict", status_code=303)
    tenant = _tenant(operator, test)
    try:
        with pages.unit(request) as session:
            correction.correct(session, tenant, einvoice_id, request.app.state.clock.now())
            audit.record(
                session,
                request,
                operator,
                "einvoice.correct",
                "einvoice",
                einvoice_id,
                livemode=tenant.livemode,
            )
    except NotFoundError:
        return RedirectResponse(back + "&error=not_found", status_code=303)
    except ConflictError:
        return RedirectResponse(back + "&error=conflict", status_code=303)
    return RedirectResponse(back + "&done=corrected", status_code=303)
