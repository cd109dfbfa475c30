"""Acting on an invoice from the console: void it, give up collecting it, record that it
was paid outside Recura (`invoices.write`), credit it (`invoices.write`), refund one of its
payments (`refunds.write`).

Each is a form on the invoice's page, then a page saying what will happen, then the
confirmation (`acting.py`), which runs the API's own service on the invoice (or payment)
locked first, and writes an audit entry. A refund is the API's too: recorded and committed
with its credit note before the processor is asked (under the refund's own key), the
answer recorded after.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.console import acting, auth, pages
from recura.console import audit as console_audit
from recura.console import invoices as section
from recura.console import subscriptions as subscription_pages
from recura.console.auth import Operator
from recura.core.lifecycle import IllegalTransition
from recura.core.permissions import Permission
from recura.db.models import Invoice
from recura.db.unit_of_work import units_of
from recura.domains.audit import changes as audit_changes
from recura.domains.common import actor
from recura.domains.common.errors import ConflictError, DomainError, InvalidError
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import credit_notes
from recura.domains.invoices import repository as invoices
from recura.domains.invoices import service as invoice_service
from recura.domains.invoices.schemas import CreditNoteCreate
from recura.domains.payments import refunds
from recura.domains.payments import repository as payments
from recura.domains.payments import service as payment_service
from recura.domains.payments.schemas import RefundCreate
from recura.domains.subscriptions import settlement

log = logging.getLogger(__name__)
router = APIRouter(prefix="/console/invoices")
PERMISSION: dict[str, Permission] = {
    "void": "invoices.write",
    "uncollectible": "invoices.write",
    "paid": "invoices.write",
    "charge": "invoices.write",
    "credit_note": "invoices.write",
    "refund": "refunds.write",
}
NAMES: dict[str, tuple[str, ...]] = {
    "void": (),
    "uncollectible": (),
    "paid": (),
    "charge": (),
    "credit_note": ("amount", "reason", "memo"),
    "refund": ("payment", "amount", "reason"),
}
AUDITED = {
    "void": "invoice.void",
    "uncollectible": "invoice.mark_uncollectible",
    "paid": "invoice.pay",
    "charge": "invoice.charge",
    "credit_note": "credit_note.create",
    "refund": "refund.create",
}
WATCHED = ("status", "amount_paid", "amount_credited", "amount_due")


@dataclass
class Asked:
    fields: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    amount: int | None = None


def _read(action: str, raw: dict[str, str], found: section.Seen) -> Asked:
    fields = {name: raw.get(name, "").strip()[:500] for name in NAMES[action]}
    asked = Asked(fields)
    invoice = found.invoice
    if action in ("credit_note", "refund"):
        if fields["reason"] not in section.CREDIT_REASONS:
            asked.errors["reason"] = "act.error.general"
        if fields["amount"]:
            asked.amount = acting.minor_units(fields["amount"], invoice.currency)
            if asked.amount is None:
                asked.errors["amount"] = "act.error.amount"
    if action == "credit_note":
        if invoice.status not in ("open", "paid"):
            asked.errors[""] = "act.error.not_creditable"
        elif asked.amount is not None and asked.amount > found.creditable:
            asked.errors["amount"] = "act.error.amount_too_much"
    if action == "refund":
        payment = next((p for p in found.refundable() if p.id == fields["payment"]), None)
        if payment is None:
            asked.errors["payment"] = "act.error.payment"
        elif asked.amount is not None and asked.amount > payment.amount - payment.amount_refunded:
            asked.errors["amount"] = "act.error.amount_too_much"
    if action in ("void", "uncollectible", "paid", "charge") and invoice.status != "open":
        asked.errors[""] = "act.error.not_open"
    return asked


def _state(session: Session, found: section.Seen) -> str:
    invoice = found.invoice
    return acting.digest(
        [
            invoice.status,
            invoice.amount_paid,
            invoice.amount_credited,
            sorted((p.id, p.status, p.amount_refunded) for p in found.payments),
            [n.id for n in found.credit_notes],
        ]
    )


def _errors(error: DomainError | IllegalTransition) -> dict[str, str]:
    if isinstance(error, InvalidError):
        if any(item.pointer.startswith("/amount") for item in error.errors):
            return {"amount": "act.error.amount_too_much"}
        return {"": "act.error.general"}
    if isinstance(error, ConflictError):
        return {"": "act.error.conflict"}
    if isinstance(error, IllegalTransition):
        return {"": "act.error.not_now"}
    return {"": "act.error.general"}


def _again(
    request: Request, operator: Operator, invoice_id: str, action: str, raw: dict[str, str]
) -> Callable[[dict[str, str], str | None, int], HTMLResponse]:
    def shown(errors: dict[str, str], notice: str | None, status: int) -> HTMLResponse:
        values = {f"{action}.{name}": raw.get(name, "")[:500] for name in NAMES[action]}
        marked = {f"{action}.{name}": key for name, key in errors.items()}
        return section.page(
            request,
            operator,
            invoice_id,
            errors=marked,
            values=values,
            notice=notice,
            status=status,
        )

    return shown


def _endpoints(action: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    gate = auth.require(PERMISSION[action])

    async def ask(
        invoice_id: str, request: Request, operator: Operator = Depends(gate)
    ) -> Response:
        fields = await pages.form(request)
        return await run_in_threadpool(_ask, request, operator, invoice_id[:64], action, fields)

    async def confirm(
        invoice_id: str, request: Request, operator: Operator = Depends(gate)
    ) -> Response:
        fields = await pages.form(request)
        return await run_in_threadpool(_confirm, request, operator, invoice_id[:64], action, fields)

    return ask, confirm


def _ask(
    request: Request, operator: Operator, invoice_id: str, action: str, raw: dict[str, str]
) -> Response:
    again = _again(request, operator, invoice_id, action, raw)
    if not auth.form_accepted(request, operator, f"inv_{action}_{invoice_id}", raw):
        return again({}, "page.form_expired", 403)
    now = request.app.state.clock.now()
    try:
        with pages.unit(request) as session:
            invoice = invoices.find_by_key(session, operator.account.id, invoice_id)
            if invoice is None:
                return auth.render(request, operator, "not_found.html", 404)
            found = section.seen(session, invoice)
            asked = _read(action, raw, found)
            if asked.errors:
                raise acting.Refused(asked.errors, None, 422)
            carried = {**asked.fields, "at": acting.instant(now), "state": _state(session, found)}
            session.expunge_all()
    except acting.Refused as refused:
        return again(refused.errors, refused.notice, refused.status)
    payment = next((p for p in found.payments if p.id == asked.fields.get("payment")), None)
    amount = asked.amount
    if amount is None and action == "credit_note":
        amount = found.creditable
    if amount is None and payment is not None:
        amount = payment.amount - payment.amount_refunded
    return auth.render(
        request,
        operator,
        "invoice_confirm.html",
        seen=found,
        invoice=found.invoice,
        action=action,
        fields=asked.fields,
        amount=amount,
        payment=payment,
        carried=carried,
        confirm_key=acting.confirm_form(action, invoice_id, carried),
        **subscription_pages.helpers(operator),
    )


def _confirm(
    request: Request, operator: Operator, invoice_id: str, action: str, raw: dict[str, str]
) -> Response:
    again = _again(request, operator, invoice_id, action, raw)
    carried = {name: raw.get(name, "") for name in (*NAMES[action], "at", "state")}
    if not auth.form_accepted(
        request, operator, acting.confirm_form(action, invoice_id, carried), raw
    ):
        return again({}, "page.form_expired", 403)
    now = request.app.state.clock.now()
    pending = None
    try:
        with pages.unit(request) as session:
            invoice = invoices.find_by_key(session, operator.account.id, invoice_id)
            if invoice is None:
                return auth.render(request, operator, "not_found.html", 404)
            tenant = Tenant(invoice.account_id, invoice.livemode)
            # Locked first: a second click waits for the first, then finds the state changed.
            invoice = invoice_service.get_for_update(session, tenant, invoice.id)
            found = section.seen(session, invoice)
            for payment in found.payments:
                if action == "refund" and payment.id == carried["payment"]:
                    payments.lock(session, payment)
            if carried["state"] != _state(session, found):
                raise acting.Refused({}, "act.changed_since", 409)
            at = acting.fresh(carried["at"], now)
            if at is None:
                raise acting.Refused({}, "act.preview_expired", 409)
            asked = _read(action, carried, found)
            if asked.errors:
                raise acting.Refused(asked.errors, None, 422)
            before = audit_changes.snapshot(invoice, WATCHED)
            try:
                target_type, target_id, pending = _do(session, tenant, invoice, action, asked, at)
            except (DomainError, IllegalTransition) as error:
                log.info("console %s of %s refused: %s", action, invoice.id, error)
                raise acting.Refused(_errors(error), None, 422) from error
            audit_changes.note(session, before, audit_changes.snapshot(invoice, WATCHED))
            console_audit.record(
                session,
                request,
                operator,
                AUDITED[action],
                target_type,
                target_id,
                livemode=invoice.livemode,
            )
    except acting.Refused as refused:
        return again(refused.errors, refused.notice, refused.status)
    done = action
    if action == "charge":
        done = _charge(request, operator, invoice_id, now)
    if pending is not None:
        # Committed above: now the processor is asked, outside any transaction.
        result = refunds.send(pending)
        with pages.unit(request) as session:
            refund = refunds.finish(session, pending, result)
            if refund.status != "succeeded":
                done = "refund_failed" if refund.status == "failed" else "refund_pending"
    return RedirectResponse(f"/console/invoices/{invoice_id}?done={done}", status_code=303)


def _charge(request: Request, operator: Operator, invoice_id: str, now: datetime) -> str:
    """The one charge path, as `POST /v1/invoices/{id}/pay`: the attempt is recorded and
    committed under its key before the processor is asked, in units of work of its own."""
    units = units_of(request.app.state.session_factory)
    with units() as session:
        invoice = invoices.by_key(session, operator.account.id, invoice_id)
        tenant = Tenant(invoice.account_id, invoice.livemode)
    try:
        with actor.acting_as(operator.actor()):
            payment = payment_service.pay(units, tenant, invoice_id, now)
    except DomainError as error:
        log.info("console charge of %s refused: %s", invoice_id, error)
        return "charge_refused"
    if payment.status == "succeeded":
        return "charge"
    return "charge_failed" if payment.status == "failed" else "charge_pending"


def _do(
    session: Session,
    tenant: Tenant,
    invoice: Invoice,
    action: str,
    asked: Asked,
    at: Any,
) -> tuple[str, str, refunds.PendingRefund | None]:
    fields = asked.fields
    if action == "void":
        invoice_service.void(session, tenant, invoice.id, at)
    elif action == "uncollectible":
        invoice_service.mark_uncollectible(session, tenant, invoice.id, at)
    elif action == "paid":
        settlement.paid_out_of_band(session, tenant, invoice.id, at)
    elif action == "credit_note":
        data = CreditNoteCreate(
            invoice=invoice.id,
            amount=asked.amount,
            reason=fields["reason"],
            memo=fields["memo"] or None,
        )
        note = credit_notes.create(session, tenant, data, at)
        return "credit_note", note.id, None
    elif action == "refund":
        body = RefundCreate(
            payment=fields["payment"],
            amount=asked.amount,
            reason=fields["reason"],
        )
        pending = refunds.start(session, tenant, body.payment, body.amount, body.reason, at)
        return "refund", pending.refund_id, pending
    return "invoice", invoice.id, None


for _action in PERMISSION:
    _ask_endpoint, _confirm_endpoint = _endpoints(_action)
    router.add_api_route(
        f"/{{invoice_id}}/{_action}",
        _ask_endpoint,
        methods=["POST"],
        name=f"console_invoice_{_action}",
    )
    router.add_api_route(
        f"/{{invoice_id}}/{_action}/confirm",
        _confirm_endpoint,
        methods=["POST"],
        name=f"console_invoice_{_action}_confirm",
    )
