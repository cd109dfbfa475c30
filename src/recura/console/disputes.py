"""Disputes (chargebacks) in the Payments section: the list by status, with the deadline
for the merchant's evidence, and a dispute's page.

They are read-only here: the processor decides them, and Recura records what its webhooks
report (`domains/payments/disputes.py`), the deadline included; the evidence is submitted,
or the dispute accepted, in the processor's own dashboard, which the page says."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from recura.console import auth, modes, operations, pages
from recura.console.auth import Operator
from recura.domains.customers import repository as customers
from recura.domains.payments import disputes, repository
from recura.gateways.base import DISPUTE_STATUSES

router = APIRouter(prefix="/console/payments/disputes")
READ = auth.require("payments.read")


@router.get("")
def dispute_list(
    request: Request,
    status: str = "",
    after: str = "",
    mode: str = "",
    operator: Operator = Depends(READ),
) -> HTMLResponse:
    test = mode == modes.TEST
    chosen = status if status in DISPUTE_STATUSES else ""
    tenant = operations.tenant(operator, test)
    with pages.unit(request) as session:
        found = disputes.page(
            session, tenant, operations.PER_PAGE, after[:64] or None, None, chosen or None
        )
        session.expunge_all()
    filters = {"status": chosen, "mode": modes.TEST if test else ""}
    path = "/console/payments/disputes"
    more = operations.link(path, **filters, after=found.items[-1].id) if found.has_more else None
    return operations.render(
        request,
        operator,
        "disputes.html",
        disputes=found.items,
        filters=filters,
        statuses=DISPUTE_STATUSES,
        test=test,
        first_page=operations.link(path, **filters) if after else None,
        more=more,
        other_mode=path + ("" if test else "?mode=test"),
    )


@router.get("/{dispute_id}")
def dispute_page(
    dispute_id: str, request: Request, operator: Operator = Depends(READ)
) -> HTMLResponse:
    account_id = operator.account.id
    with pages.unit(request) as session:
        dispute = repository.find_dispute_by_key(session, account_id, dispute_id[:64])
        if dispute is None:
            return auth.render(request, operator, "not_found.html", 404)
        payment = repository.payment_by_key(session, account_id, dispute.payment_id)
        customer = customers.by_key(session, account_id, payment.customer_id)
        session.expunge_all()
    return operations.render(
        request, operator, "dispute.html", dispute=dispute, payment=payment, customer=customer
    )
