"""Which emails an event calls for, and what each says: the values its template is
rendered with, taken when the event is dispatched (amounts in minor units, instants in RFC
3339), so an email says what was true when it was written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from recura.db.models import Account, Event, Invoice, InvoiceLine
from recura.domains.accounts.payee import payee_for
from recura.domains.invoices.issuing import SEND_INVOICE

PLAN_CHANGES = frozenset({"terms_changed", "change_applied"})
# The events whose emails speak of an invoice, and where the event names it.
INVOICE_OF = {
    "invoice.finalized": lambda e: e.object_id,
    "invoice.paid": lambda e: e.object_id,
    "refund.succeeded": lambda e: e.data.get("invoice"),
}


@dataclass(frozen=True, slots=True)
class Planned:
    event: Event
    template: str
    context: dict[str, Any]
    delay: timedelta = timedelta(0)


@dataclass(frozen=True, slots=True)
class Found:
    """What the dispatcher read for a batch of events, by (account, id)."""

    accounts: dict[str, Account]
    plans: dict[tuple[str, str], str]
    invoices: dict[tuple[str, str], Invoice]
    lines: dict[tuple[str, str], list[InvoiceLine]]
    first_subscription: dict[tuple[str, str], str]
    first_failure: dict[tuple[str, str], str]


def invoice_id(event: Event) -> str | None:
    pick = INVOICE_OF.get(event.type)
    return pick(event) if pick else None


def customer_id(event: Event, found: Found) -> str | None:
    """The customer an event's emails go to: named in the event or by its invoice."""
    named = event.data.get("customer")
    if named:
        return str(named)
    invoice = found.invoices.get((event.account_id, invoice_id(event) or ""))
    return invoice.customer_id if invoice else None


def needs_lines(event: Event, invoice: Invoice) -> bool:
    """Whether the event's email lists the invoice's lines (a billing run's thousands of
    invoices charged automatically need none read for their `invoice.finalized`)."""
    if event.type == "invoice.finalized":
        return _sent_for_transfer(invoice)
    return event.type == "invoice.paid" and invoice.total > 0 and invoice.amount_paid > 0


def emails_for(event: Event, found: Found) -> list[Planned]:
    data = event.data
    kind = event.type
    account = found.accounts[event.account_id]
    plan = found.plans.get((event.account_id, data.get("plan", "")), "")
    at = event.occurred_at.isoformat()
    invoice = found.invoices.get((event.account_id, invoice_id(event) or ""))
    if kind == "subscription.created":
        if found.first_subscription.get((event.account_id, data["customer"])) != data["id"]:
            return []  # a welcome is for a customer's first subscription only
        trial = data.get("trial_end") if data.get("status") == "trialing" else None
        context = {"plan": plan, "trial_end": trial, "period_end": data.get("current_period_end")}
        return [Planned(event, "welcome", context)]
    if kind == "subscription.trial_will_end":
        context = {"plan": plan, "trial_end": data.get("trial_end"), "subscription": data["id"]}
        return [Planned(event, "trial_ending", context)]
    if kind == "subscription.updated":
        if data.get("change") == "cancel_scheduled":
            context = {
                "plan": plan,
                "ends_at": _instant(data["cancel_at"]),
                "subscription": data["id"],
            }
            return [Planned(event, "cancel_scheduled", context)]
        if data.get("change") not in PLAN_CHANGES:
            return []
        context = {"plan": plan, "period_end": data.get("current_period_end")}
        return [Planned(event, "plan_changed", context)]
    if kind == "subscription.canceled":
        context = {"plan": plan, "canceled_at": at, "subscription": data["id"]}
        found_ = [Planned(event, "canceled", context)]
        if account.winback_days:
            delay = timedelta(days=account.winback_days)
            found_.append(Planned(event, "winback", context, delay))
        return found_
    if kind == "invoice.upcoming":
        context = {
            "plan": plan,
            "renews_at": data["renews_at"],
            "amount": data["amount"],
            "currency": data["currency"],
            "subscription": data.get("subscription"),
        }
        return [Planned(event, "upcoming_renewal", context)]
    if kind == "invoice.finalized":
        if invoice is None or not _sent_for_transfer(invoice):
            return []
        lines = found.lines.get((event.account_id, invoice.id), [])
        context = {**_invoice(invoice, lines), **_transfer(account, invoice)}
        emails = [Planned(event, "invoice_sent", context)]
        reminder = _reminder_delay(account, invoice, event.occurred_at)
        if reminder is not None:
            emails.append(Planned(event, "invoice_due_reminder", context, reminder))
        return emails
    if kind == "invoice.paid":
        if data.get("total", 0) <= 0 or data.get("amount_paid", 0) <= 0:
            return []  # nothing was paid: no receipt
        context = {
            "number": data.get("number") or data["id"],
            "amount": data["amount_paid"],
            "currency": data["currency"],
            "paid_at": at,
        }
        if invoice is not None:
            lines = found.lines.get((event.account_id, invoice.id), [])
            context = {**_invoice(invoice, lines), **context}
        return [Planned(event, "receipt", context)]
    if kind == "refund.succeeded":
        if invoice is None:
            return []
        context = {
            "number": invoice.number or invoice.id,
            "invoice": invoice.id,
            "amount": data["amount"],
            "currency": data["currency"],
            "refunded_at": at,
        }
        return [Planned(event, "refund", context)]
    if kind == "invoice.payment_failed":
        context = {
            "number": data.get("number") or data["id"],
            "amount": data["amount_due"] - data["amount_paid"],
            "currency": data["currency"],
            "attempt": data.get("attempt_count", 0),
            "next_attempt": data.get("next_payment_attempt"),
            "last_attempt": data.get("next_payment_attempt") is None,
            "subscription": data.get("subscription"),
        }
        first = found.first_failure.get((event.account_id, event.object_id)) == event.id
        return [Planned(event, "payment_failed" if first else "dunning_reminder", context)]
    if kind == "payment_method.expiring":
        if not data.get("exp_year") or not data.get("exp_month"):
            return []
        context = {
            "brand": data.get("brand") or "",
            "last4": data.get("last4") or "",
            "exp_month": data["exp_month"],
            "exp_year": data["exp_year"],
        }
        return [Planned(event, "card_expiring", context)]
    return []


def _instant(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _sent_for_transfer(invoice: Invoice) -> bool:
    return (
        invoice.collection_method == SEND_INVOICE
        and invoice.status == "open"
        and invoice.amount_due > 0
        and invoice.payment_reference is not None
    )


def _invoice(invoice: Invoice, lines: Sequence[InvoiceLine]) -> dict[str, Any]:
    """An invoice as its emails show it: number, lines, VAT and total."""
    return {
        "invoice": invoice.id,
        "number": invoice.number or invoice.id,
        "currency": invoice.currency,
        "lines": [{"description": line.description, "amount": line.amount} for line in lines],
        "tax": invoice.tax_total,
        "tax_inclusive": invoice.tax_inclusive,
        "total": invoice.total,
    }


def _transfer(account: Account, invoice: Invoice) -> dict[str, Any]:
    """What a bank transfer paying the invoice must say."""
    payee = payee_for(account, invoice.currency)
    return {
        "amount": invoice.amount_due,
        "due_at": _instant(invoice.due_at) if invoice.due_at else None,
        "beneficiary": payee.beneficiary,
        "iban": payee.iban,
        "bic": payee.bic,
        "reference": invoice.payment_reference,
    }


def _reminder_delay(account: Account, invoice: Invoice, now: datetime) -> timedelta | None:
    """How long after the invoice's email its reminder goes out: the account's days before
    it falls due, if that is later than now."""
    if account.invoice_reminder_days is None or invoice.due_at is None:
        return None
    delay = invoice.due_at - timedelta(days=account.invoice_reminder_days) - now
    return delay if delay > timedelta(0) else None
