"""Issue invoices in bulk: calculate, spend credit, number, store, record their events.

One invoice or a worker's batch of thousands go through the same code: the customers'
balances are read in one query (those with credit to spend locked and read again), every
invoice is calculated by core.invoicing, numbers are taken as one consecutive range per
series (one lock), and the rows are written with one multi-row INSERT per table. A second
invoice for the same (subscription, period_start, reason) fails on the unique constraint, so
whatever runs twice cannot bill twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from recura.core.invoicing import InvoiceDraft, InvoiceInput, build_invoice
from recura.core.tax import Decision
from recura.db import bulk
from recura.db.models import Account, BalanceEntry, Invoice, InvoiceLine
from recura.domains.balances import repository as balances_repository
from recura.domains.balances import service as balances
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.invoices import numbering
from recura.gateways.bank_transfer import references
from recura.ids import new_ids

SEND_INVOICE = "send_invoice"


@dataclass(frozen=True, slots=True)
class Issue:
    """One invoice to issue."""

    tenant: Tenant
    account: Account
    customer_id: str
    subscription_id: str | None
    reason: str
    inputs: InvoiceInput
    period_start: datetime | None
    period_end: datetime | None
    collection_method: str


def credit_balances(
    session: Session, keys: set[tuple[str, bool, str]], currencies: set[str], *, lock: bool
) -> dict[tuple[str, bool, str, str], int]:
    """Credit per (account, livemode, customer, currency); `lock` is for spending it: the
    customers with credit are locked and read again, so concurrent issuers cannot spend the
    same credit (SQLite serialises anyway)."""
    by_account: dict[str, set[str]] = defaultdict(set)
    for account_id, _, customer_id in keys:
        by_account[account_id].add(customer_id)
    found: dict[tuple[str, bool, str, str], int] = {}
    for account_id, customers in sorted(by_account.items()):
        sums = balances_repository.sums(session, account_id, customers, currencies)
        if lock:
            # Only issuing spends credit, always under these locks; everything else adds to
            # it. A customer without credit at this read has none to spend twice (credit
            # added meanwhile waits for the next invoice), so most of a batch goes unlocked.
            # The ledger only grows: the second read has every key of the first.
            spenders = {key[2] for key, total in sums.items() if total > 0}
            if spenders:
                balances.lock(session, account_id, spenders)
                sums |= balances_repository.sums(session, account_id, spenders, currencies)
        found |= sums
    return found


def draft(session: Session, tenant: Tenant, customer_id: str, inputs: InvoiceInput) -> InvoiceDraft:
    """The invoice these inputs make for this customer now, their credit applied; saves
    nothing (previews)."""
    key = (tenant.account_id, tenant.livemode, customer_id)
    found = credit_balances(session, {key}, {inputs.currency}, lock=False)
    credit = max(found.get((*key, inputs.currency), 0), 0)
    return build_invoice(replace(inputs, credit_balance=credit))


def issue_many(session: Session, items: list[Issue], now: datetime) -> list[str]:
    """Issue every item, in order (earlier ones spend credit first); returns invoice ids."""
    if not items:
        return []
    keys = {(i.tenant.account_id, i.tenant.livemode, i.customer_id) for i in items}
    credit = credit_balances(session, keys, {i.inputs.currency for i in items}, lock=True)
    invoices: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    ledger: list[dict[str, Any]] = []
    series: dict[tuple[Tenant, str], list[dict[str, Any]]] = defaultdict(list)
    # A batch's invoices repeat a few inputs (the same plan, period and usage): each is
    # calculated once.
    drafts: dict[tuple[InvoiceInput, int], InvoiceDraft] = {}
    for item, invoice_id in zip(items, new_ids("invoice", len(items)), strict=True):
        key = (item.tenant.account_id, item.tenant.livemode, item.customer_id, item.inputs.currency)
        wanted = (item.inputs, max(credit.get(key, 0), 0))
        calc = drafts.get(wanted)
        if calc is None:
            calc = drafts[wanted] = build_invoice(replace(item.inputs, credit_balance=wanted[1]))
        credit[key] = credit.get(key, 0) - calc.credit_applied + calc.credit_generated
        row = _invoice_row(invoice_id, item, calc, now)
        invoices.append(row)
        series[(item.tenant, item.account.invoice_series_prefix)].append(row)
        lines += _line_rows(item.tenant, row["id"], calc, now)
        for amount, kind in (
            (-calc.credit_applied, "applied_to_invoice"),
            (calc.credit_generated, "invoice_credit"),
        ):
            if amount:
                ledger.append(_ledger_row(item, row["id"], amount, kind, now))
    for rows, kind in ((lines, "invoice_line"), (ledger, "balance_entry")):
        for line, row_id in zip(rows, new_ids(kind, len(rows)), strict=True):
            line["id"] = row_id
    tenants = [item.tenant for item in items]
    # `invoice.created` shows the invoice as it was before it had a number. Each invoice's
    # model is built once: its later events differ only in the number.
    data = [payloads.InvoiceCreated(**summary_of(row)).json_data() for row in invoices]
    created = payloads.EventType.INVOICE_CREATED
    events.record_many(session, _events(tenants, data, created, now))
    # Numbers as late as possible: the series stays locked from here to the commit, so
    # everything that needs no number is computed and written before; each invoice is then
    # written once, with its number.
    for (tenant, prefix), rows in series.items():
        numbers = numbering.next_numbers(session, tenant, prefix, len(rows))
        for row, number in zip(rows, numbers, strict=True):
            row["series"], row["number"] = prefix, number
    bulk.insert_rows(session, Invoice, invoices)
    bulk.insert_rows(session, InvoiceLine, lines)
    bulk.insert_rows(session, BalanceEntry, ledger)
    data = [{**d, "number": row["number"]} for d, row in zip(data, invoices, strict=True)]
    finalized = _events(tenants, data, payloads.EventType.INVOICE_FINALIZED, now)
    paid = [(t, d) for t, d in zip(tenants, data, strict=True) if d["status"] == "paid"]
    kind = payloads.EventType.INVOICE_PAID
    finalized += _events([t for t, _ in paid], [d for _, d in paid], kind, now)
    events.record_many(session, finalized)
    return [row["id"] for row in invoices]


def _events(
    tenants: list[Tenant], data: list[dict[str, Any]], kind: payloads.EventType, now: datetime
) -> list[dict[str, Any]]:
    """Event rows of `kind` for invoices whose `InvoiceData` JSON is `data`."""
    return [events.json_row(tenant, kind, d, now) for tenant, d in zip(tenants, data, strict=True)]


def _invoice_row(invoice_id: str, item: Issue, calc: InvoiceDraft, now: datetime) -> dict[str, Any]:
    paid = calc.amount_due == 0
    due = now + timedelta(days=item.account.days_until_due)
    return {
        "id": invoice_id,
        **item.tenant.row_keys(),
        "customer_id": item.customer_id,
        "subscription_id": item.subscription_id,
        "status": "paid" if paid else "open",
        "series": None,
        "number": None,
        "reason": item.reason,
        "currency": calc.currency,
        "period_start": item.period_start,
        "period_end": item.period_end,
        "tax_inclusive": calc.tax_inclusive,
        "subtotal": calc.subtotal,
        "discount_total": calc.discount_total,
        "tax_total": calc.tax_total,
        "total": calc.total,
        "credit_applied": calc.credit_applied,
        "amount_due": calc.amount_due,
        "amount_paid": 0,
        "amount_credited": 0,
        "tax_lines": [
            {"rate": str(t.rate), "net": t.taxable_amount, "tax": t.tax_amount}
            for t in calc.tax_lines
        ],
        "discounts": [{"description": d.description, "amount": d.amount} for d in calc.discounts],
        "collection_method": item.collection_method,
        "due_at": due if item.collection_method == SEND_INVOICE else None,
        "attempt_count": 0,
        "first_failed_at": None,
        # Charged by the collector as soon as it runs; a sent invoice waits for a transfer.
        "next_payment_attempt_at": (
            now if not paid and item.collection_method != SEND_INVOICE else None
        ),
        # What a bank transfer must quote to be matched to this invoice.
        "payment_reference": (
            references.new_reference(f"{item.tenant.account_id}:{invoice_id}")
            if not paid and item.collection_method == SEND_INVOICE
            else None
        ),
        "finalized_at": now,
        "paid_at": now if paid else None,
        "voided_at": None,
        "created_at": now,
        "updated_at": now,
    }


def _decided(tax: Decision | None) -> dict[str, Any]:
    """A line's VAT decision as stored (nulls for a line priced without one)."""
    return {
        "tax_category": None if tax is None else tax.category.value,
        "tax_exemption_code": None if tax is None else tax.exemption_code,
        "tax_exemption_key": None if tax is None else tax.exemption_key,
        "tax_notes": None if tax is None else list(tax.notes),
    }


def _line_rows(
    tenant: Tenant, invoice_id: str, calc: InvoiceDraft, now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            **tenant.row_keys(),
            "invoice_id": invoice_id,
            "position": position,
            "kind": line.kind,
            "description": line.description,
            "quantity": line.quantity,
            "unit_amount": line.unit_amount,
            "amount": line.amount,
            "discount_amount": line.discount_amount,
            "tax_rate": line.tax_rate,
            **_decided(line.tax),
            "supply_nature": line.nature.value,
            "period_start": line.period_start,
            "period_end": line.period_end,
            "proration": line.proration,
            "plan_id": line.plan_id,
            "created_at": now,
        }
        for position, line in enumerate(calc.lines)
    ]


def _ledger_row(
    item: Issue, invoice_id: str, amount: int, kind: str, now: datetime
) -> dict[str, Any]:
    return {
        **item.tenant.row_keys(),
        "customer_id": item.customer_id,
        "currency": item.inputs.currency,
        "amount": amount,
        "kind": kind,
        "invoice_id": invoice_id,
        "credit_note_id": None,
        "description": f"Invoice {invoice_id}",
        "created_at": now,
    }


def summary_of(row: dict[str, Any]) -> dict[str, Any]:
    """What an invoice event carries: the fields of `payloads.InvoiceData`."""
    return {
        "id": row["id"],
        "number": row["number"],
        "status": row["status"],
        "reason": row["reason"],
        "customer": row["customer_id"],
        "subscription": row["subscription_id"],
        "currency": row["currency"],
        "total": row["total"],
        "amount_due": row["amount_due"],
        "amount_paid": row["amount_paid"],
    }
