"""Bank transactions in the Payments section: the lines of imported camt.053 statements,
matched or not, a statement uploaded from the page, and an unmatched transfer matched by
hand to an open invoice.

Matching asks twice: the transaction's page finds candidate invoices (by number, payment
reference, customer, and by default the transfer's exact amount), choosing one shows what
will happen, and only the confirmation's POST calls `bank.match_by_hand`, the API's own
function. It refuses a transaction that is no longer unmatched, so a second submit of the
same form (or a colleague's) pays nothing twice and says so."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import get_args

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from recura.console import audit, auth, modes, operations, pages, refusals
from recura.console.auth import Operator
from recura.core.bank_matching import UnmatchedReason
from recura.db.models import BankTransaction, Invoice
from recura.domains.common.errors import ConflictError, InvalidError, NotFoundError
from recura.domains.customers import repository as customers
from recura.domains.invoices import repository as invoices
from recura.domains.payments import bank, repository

router = APIRouter(prefix="/console/payments/bank-transactions")
READ = auth.require("payments.read")
# Marking an invoice paid is the books' business: finance, admins and owners.
WRITE = auth.require("invoices.write")
STATUSES = ("unmatched", "matched", "partial", "overpaid", "ignored", "reversed", "reversal")
# Why a transfer matched nothing (`core.bank_matching.UnmatchedReason`), as the page says it.
REASONS = get_args(UnmatchedReason)
CANDIDATES = 20
DONE = {"matched", "imported"}
# A statement file and the form around it.
MAX_UPLOAD_BYTES = bank.MAX_STATEMENT_BYTES + 64 * 1024


@router.get("")
def transaction_list(
    request: Request,
    status: str = "",
    after: str = "",
    mode: str = "",
    done: str = "",
    imported: int = 0,
    skipped: int = 0,
    operator: Operator = Depends(READ),
) -> HTMLResponse:
    test = mode == modes.TEST
    return _list(
        request,
        operator,
        status=status,
        after=after,
        test=test,
        done=done if done in DONE else None,
        counts={"imported": imported, "skipped": skipped},
    )


def _list(
    request: Request,
    operator: Operator,
    *,
    status: str = "",
    after: str = "",
    test: bool = False,
    done: str | None = None,
    counts: dict[str, int] | None = None,
    error: str | None = None,
    detail: str = "",
    code: int = 200,
) -> HTMLResponse:
    chosen = status if status in STATUSES else ""
    tenant = operations.tenant(operator, test)
    with pages.unit(request) as session:
        found = bank.transactions(
            session, tenant, operations.PER_PAGE, after[:64] or None, chosen or None
        )
        session.expunge_all()
    filters = {"status": chosen, "mode": modes.TEST if test else ""}
    path = "/console/payments/bank-transactions"
    more = operations.link(path, **filters, after=found.items[-1].id) if found.has_more else None
    return operations.render(
        request,
        operator,
        "bank_transactions.html",
        code,
        transactions=found.items,
        filters=filters,
        statuses=STATUSES,
        test=test,
        first_page=operations.link(path, **filters) if after else None,
        more=more,
        other_mode=path + ("" if test else "?mode=test"),
        done=done,
        counts=counts or {},
        error=error,
        detail=detail,
    )


@router.get("/{transaction_id}")
def transaction_page(
    transaction_id: str,
    request: Request,
    q: str = "",
    any_amount: bool = False,
    invoice: str = "",
    done: str = "",
    operator: Operator = Depends(READ),
) -> HTMLResponse:
    return _page(
        request,
        operator,
        transaction_id[:64],
        query=q.strip()[:200],
        any_amount=any_amount,
        chosen=invoice[:64],
        done=done if done in DONE else None,
    )


def _page(
    request: Request,
    operator: Operator,
    transaction_id: str,
    *,
    query: str = "",
    any_amount: bool = False,
    chosen: str = "",
    done: str | None = None,
    error: str | None = None,
    detail: str = "",
    status: int = 200,
) -> HTMLResponse:
    account_id = operator.account.id
    with pages.unit(request) as session:
        transaction = repository.find_transaction_by_key(session, account_id, transaction_id)
        if transaction is None:
            return auth.render(request, operator, "not_found.html", 404)
        tenant = operations.tenant(operator, not transaction.livemode)
        candidates = []
        if transaction.status == "unmatched" and transaction.credit:
            amount = None if any_amount else transaction.amount
            candidates = invoices.open_to_match(
                session, tenant, transaction.currency, query, amount, CANDIDATES
            )
        picked = None
        if chosen and transaction.status == "unmatched":
            found = invoices.find_by_key(session, account_id, chosen)
            # Only an invoice the transfer could pay is offered for confirmation.
            if (
                found is not None
                and found.livemode == transaction.livemode
                and found.status == "open"
                and found.currency == transaction.currency
            ):
                picked = found
        paid = [row["invoice"] for row in transaction.applied]
        shown = [*candidates, *([picked] if picked else [])]
        shown += invoices.invoices_by_key(session, [(account_id, i) for i in paid]).values()
        names = {
            c.id: c.name or c.email or c.id
            for c in customers.customers_by_key(
                session, {(account_id, i.customer_id) for i in shown}
            ).values()
        }
        numbers = {i.id: i.number or i.id for i in shown}
        session.expunge_all()
    return operations.render(
        request,
        operator,
        "bank_transaction.html",
        status,
        transaction=transaction,
        candidates=candidates,
        picked=picked,
        outcome=_outcome(transaction, picked) if picked else None,
        names=names,
        numbers=numbers,
        query=query,
        any_amount=any_amount,
        reasons=REASONS,
        done=done,
        error=error,
        detail=detail,
    )


def _outcome(transaction: BankTransaction, invoice: Invoice) -> dict[str, int]:
    """What matching would do: how much pays the invoice, how much goes to the balance."""
    due = invoice.amount_due - invoice.amount_paid
    applied = min(due, transaction.amount)
    return {
        "applied": applied,
        "still_due": due - applied,
        "to_balance": transaction.amount - applied,
    }


@router.post("/{transaction_id}/match")
async def match(
    transaction_id: str, request: Request, operator: Operator = Depends(WRITE)
) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_match, request, operator, transaction_id[:64], fields)


def _match(
    request: Request, operator: Operator, transaction_id: str, fields: dict[str, str]
) -> Response:
    invoice_id = fields.get("invoice", "")[:64]
    if not auth.form_accepted(request, operator, f"bank_match_{transaction_id}", fields):
        return _page(request, operator, transaction_id, error="page.form_expired", status=403)
    account_id = operator.account.id
    try:
        with pages.unit(request) as session:
            found = repository.find_transaction_by_key(session, account_id, transaction_id)
            if found is None:
                raise NotFoundError("bank transaction", transaction_id)
            tenant = operations.tenant(operator, not found.livemode)
            transaction = bank.match_by_hand(
                session, tenant, transaction_id, invoice_id, request.app.state.clock.now()
            )
            audit.record(
                session,
                request,
                operator,
                "bank_transaction.match",
                "bank_transaction",
                transaction.id,
                livemode=transaction.livemode,
            )
    except NotFoundError as problem:
        if problem.kind == "bank transaction":
            return auth.render(request, operator, "not_found.html", 404)
        return _page(request, operator, transaction_id, error="bank.error.no_invoice", status=422)
    except ConflictError:
        return _page(
            request, operator, transaction_id, error="bank.error.already_matched", status=409
        )
    except InvalidError as problem:
        return _page(
            request,
            operator,
            transaction_id,
            chosen=invoice_id,
            error="bank.error.not_payable",
            detail=refusals.details(problem, operator.locale),
            status=422,
        )
    return RedirectResponse(
        f"/console/payments/bank-transactions/{transaction_id}?done=matched", status_code=303
    )


@router.post("/statements")
async def upload(request: Request, operator: Operator = Depends(WRITE)) -> Response:
    body = await request.body()
    parts = _multipart(request.headers.get("content-type", ""), body)
    fields = {name: value.decode(errors="replace") for name, (value, _) in parts.items()}
    test = fields.get(modes.PARAMETER) == modes.TEST
    if not auth.form_accepted(request, operator, "bank_statement_upload", fields):
        return await run_in_threadpool(
            _list, request, operator, test=test, error="page.form_expired", code=403
        )
    data = parts.get("statement", (b"", False))[0]
    if not data:
        return await run_in_threadpool(
            _list, request, operator, test=test, error="bank.error.no_file", code=422
        )
    return await run_in_threadpool(_import, request, operator, data, test)


def _import(request: Request, operator: Operator, data: bytes, test: bool) -> Response:
    tenant = operations.tenant(operator, test)
    try:
        with pages.unit(request) as session:
            # SQLite has one writer: a long statement commits as it goes, as the API's does.
            sqlite = session.get_bind().dialect.name == "sqlite"
            done = bank.import_statements(
                session,
                tenant,
                data,
                request.app.state.clock.now(),
                session.commit if sqlite else None,
            )
            for statement in done.statements:
                audit.record(
                    session,
                    request,
                    operator,
                    "bank_statement.import",
                    "bank_statement",
                    statement.id,
                    livemode=tenant.livemode,
                )
    except InvalidError as problem:
        return _list(
            request,
            operator,
            test=test,
            error="bank.error.not_a_statement",
            detail=refusals.details(problem, operator.locale),
            code=422,
        )
    target = operations.link(
        "/console/payments/bank-transactions",
        mode=modes.TEST if test else "",
        done="imported",
        imported=str(len(done.statements)),
        skipped=str(len(done.skipped)),
    )
    return RedirectResponse(target, status_code=303)


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[bytes, bool]]:
    """A multipart/form-data body's parts by name: (content, whether it is a file). The
    standard library's MIME parser reads it; anything odd is an empty form."""
    if not content_type.startswith("multipart/form-data") or len(body) > MAX_UPLOAD_BYTES:
        return {}
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = message_from_bytes(head + body, policy=policy.HTTP)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        return {}
    parts: dict[str, tuple[bytes, bool]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes) and name not in parts:
            parts[name] = (payload, part.get_filename() is not None)
    return parts
