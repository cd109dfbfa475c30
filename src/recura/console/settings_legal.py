"""Settings, Legal data, beside the account's form (`settings.py`): the bank accounts whose
statements are the merchant's (`accounts.bank_accounts`, as `/v1/bank_accounts`), one mode's
each, and the logo the public pages and emails show (`accounts.logo`, as
`PUT /v1/account/logo`).

The logo comes as a file input's multipart/form-data body, read with the standard library's
MIME parser: its bytes are then judged by `logo.put` alone (its first bytes, never the
type the browser claims).
"""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from recura.console import audit, auth, pages
from recura.console.auth import Operator
from recura.console.settings import WRITE, legal_page
from recura.domains.accounts import bank_accounts, logo
from recura.domains.accounts import repository as accounts
from recura.domains.accounts.schemas import BankAccountCreate
from recura.domains.audit import changes
from recura.domains.common.errors import ConflictError, InvalidError, NotFoundError
from recura.domains.common.tenant import Tenant

router = APIRouter(prefix="/console/settings/legal")
# The logo's own cap and room for the form's other parts and boundaries.
MAX_UPLOAD = logo.MAX_BYTES + 16 * 1024


def _tenant(operator: Operator, fields: dict[str, str]) -> Tenant:
    return Tenant(operator.account.id, livemode=fields.get("mode") != "test")


def _refused(request: Request, operator: Operator, where: str, key: str, status: int) -> Response:
    errors = {where: pages.text(key, operator.locale)}
    return legal_page(request, operator, errors=errors, status=status)


@router.post("/bank-accounts")
async def add_bank_account(request: Request, operator: Operator = Depends(WRITE)) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_add_bank_account, request, operator, fields)


def _add_bank_account(request: Request, operator: Operator, fields: dict[str, str]) -> Response:
    if not auth.form_accepted(request, operator, "bank_account_add", fields):
        return _refused(request, operator, "bank", "page.form_expired", 403)
    tenant = _tenant(operator, fields)
    try:
        data = BankAccountCreate(
            iban=fields.get("bank_iban", "").strip()[:42] or None,
            number=fields.get("bank_number", "").strip()[:42] or None,
            currency=fields.get("bank_currency", "").strip().upper()[:3] or None,
        )
        with pages.unit(request) as session:
            row = bank_accounts.create(session, tenant, data, request.app.state.clock.now())
            changes.note(session, {}, changes.snapshot(row, ("iban", "number", "currency")))
            audit.record(
                session,
                request,
                operator,
                "bank_account.create",
                "bank_account",
                row.id,
                livemode=tenant.livemode,
            )
    except (ValidationError, InvalidError):
        return _refused(request, operator, "bank", "legal.error.bank_account", 422)
    except ConflictError:
        return _refused(request, operator, "bank", "legal.error.bank_account_known", 409)
    return RedirectResponse("/console/settings/legal?done=bank_added#bank-accounts", 303)


@router.post("/bank-accounts/{bank_account_id}/delete")
async def delete_bank_account(
    bank_account_id: str, request: Request, operator: Operator = Depends(WRITE)
) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(
        _delete_bank_account, request, operator, bank_account_id[:64], fields
    )


def _delete_bank_account(
    request: Request, operator: Operator, bank_account_id: str, fields: dict[str, str]
) -> Response:
    if not auth.form_accepted(request, operator, f"bank_account_delete_{bank_account_id}", fields):
        return _refused(request, operator, "bank", "page.form_expired", 403)
    tenant = _tenant(operator, fields)
    try:
        with pages.unit(request) as session:
            row = bank_accounts.delete(session, tenant, bank_account_id)
            changes.note(session, changes.snapshot(row, ("iban", "number", "currency")), {})
            audit.record(
                session,
                request,
                operator,
                "bank_account.delete",
                "bank_account",
                row.id,
                livemode=tenant.livemode,
            )
    except NotFoundError:
        return auth.render(request, operator, "not_found.html", 404)
    return RedirectResponse("/console/settings/legal?done=bank_removed#bank-accounts", 303)


@router.post("/logo")
async def upload_logo(request: Request, operator: Operator = Depends(WRITE)) -> Response:
    body = await request.body()
    kind = request.headers.get("content-type", "")
    fields, image = _multipart(kind, body) if len(body) <= MAX_UPLOAD else ({}, b"")
    if len(body) > MAX_UPLOAD:
        image = b"\0" * (logo.MAX_BYTES + 1)  # refused by `logo.put` for its size
    return await run_in_threadpool(_upload_logo, request, operator, fields, image)


def _multipart(kind: str, body: bytes) -> tuple[dict[str, str], bytes]:
    """A multipart/form-data body's text fields and the file input `logo`'s bytes."""
    if not kind.startswith("multipart/form-data"):
        return {}, b""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + kind.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: dict[str, str] = {}
    image = b""
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        decoded = part.get_payload(decode=True)
        payload = decoded if isinstance(decoded, bytes) else b""
        if name == "logo":
            image = payload
        elif isinstance(name, str):
            fields[name] = payload.decode("utf-8", "replace")[:400]
    return fields, image


def _upload_logo(
    request: Request, operator: Operator, fields: dict[str, str], image: bytes
) -> Response:
    if not auth.form_accepted(request, operator, "logo_upload", fields):
        return _refused(request, operator, "logo", "page.form_expired", 403)
    try:
        with pages.unit(request) as session:
            old = accounts.logo_hash(session, operator.account.id)
            saved = logo.put(session, operator.account.id, image, request.app.state.clock.now())
            changes.note(session, {"logo_sha256": old}, {"logo_sha256": saved.sha256})
            audit.record(
                session, request, operator, "account.logo_update", "account", operator.account.id
            )
    except InvalidError:
        return _refused(request, operator, "logo", "legal.error.logo", 422)
    return RedirectResponse("/console/settings/legal?done=logo_saved#logo", 303)


@router.post("/logo/delete")
async def delete_logo(request: Request, operator: Operator = Depends(WRITE)) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_delete_logo, request, operator, fields)


def _delete_logo(request: Request, operator: Operator, fields: dict[str, str]) -> Response:
    if not auth.form_accepted(request, operator, "logo_delete", fields):
        return _refused(request, operator, "logo", "page.form_expired", 403)
    with pages.unit(request) as session:
        old = accounts.logo_hash(session, operator.account.id)
        logo.delete(session, operator.account.id)
        changes.note(session, {"logo_sha256": old}, {"logo_sha256": None})
        audit.record(
            session, request, operator, "account.logo_delete", "account", operator.account.id
        )
    return RedirectResponse("/console/settings/legal?done=logo_removed#logo", 303)
