"""Which emails an event calls for, and what each says: the values its template is
rendered with, taken when the event is dispatched (amounts in minor units, instants in RFC
3339), so an email says what was true when it was written."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from recura.core.lifecycle import Status
from recura.db.models import Account, Event, Invoice, InvoiceLine
from recura.domains.accounts.payee import payee_for
from recura.domains.events import payloads
from recura.domains.events.payloads import (
    CancellationFeedbackData,
    EmailChangeData,
    EventPayload,
    EventType,
    InvoiceData,
    InvoicePaymentFailedData,
    PaymentMethodData,
    PerkPoolLowData,
    PortalSessionData,
    RefundData,
    SubscriptionChange,
    SubscriptionData,
    SupportRequestMessageData,
    SupportRequestRepliedData,
    UpcomingInvoiceData,
)
from recura.domains.invoices.issuing import SEND_INVOICE

log = logging.getLogger(__name__)
P = TypeVar("P", bound=EventPayload)
PLAN_CHANGES = frozenset({SubscriptionChange.TERMS_CHANGED, SubscriptionChange.CHANGE_APPLIED})
# The events whose emails speak of an invoice (found by `invoice_id`).
INVOICE_EVENTS = frozenset(
    {EventType.INVOICE_FINALIZED, EventType.INVOICE_PAID, EventType.REFUND_SUCCEEDED}
)
# The events whose emails go to the merchant itself, not to a customer.
MERCHANT_EVENTS = frozenset({EventType.PARTNER_PERK_POOL_LOW})
# Shapes that name the customer they are about.
_NAMING_CUSTOMER = (
    SubscriptionData,
    InvoiceData,
    UpcomingInvoiceData,
    PaymentMethodData,
    PortalSessionData,
    SupportRequestMessageData,
    CancellationFeedbackData,
    EmailChangeData,
)
# An event's data as its model, by event: a batch reads each several times.
_parsed: WeakKeyDictionary[Event, tuple[object, EventPayload]] = WeakKeyDictionary()


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
    # (account, subscription) -> its onboarding guide, every language's texts kept (the
    # email picks its reader's): for the welcome emails.
    guides: dict[tuple[str, str], list[dict[str, Any]]]


def payload(event: Event, shape: type[P]) -> P:
    """The event's data as its model (a `shape`), parsed once per event and data."""
    cached = _parsed.get(event)
    if cached is not None and cached[0] is event.data and isinstance(cached[1], shape):
        return cached[1]
    found = payloads.parse(event.type, event.object_id, event.data, shape)
    _parsed[event] = (event.data, found)
    return found


def readable(event: Event) -> bool:
    """Whether the event's data fits its model; one that does not (recorded by hand, or
    before its type had a model) calls for no email rather than stopping the dispatch."""
    try:
        payload(event, EventPayload)
    except ValueError:
        log.warning("event %s does not match its %s model", event.id, event.type)
        return False
    return True


def welcomed(event: Event, first_subscription: dict[tuple[str, str], str]) -> bool:
    """Whether the event welcomes its customer to their first subscription (`welcomes`)."""
    if event.type not in (EventType.SUBSCRIPTION_CREATED, EventType.SUBSCRIPTION_UPDATED):
        return False
    data = payload(event, SubscriptionData)
    if not welcomes(event, data):
        return False
    return first_subscription.get((event.account_id, data.customer)) == data.id


def invoice_id(event: Event) -> str | None:
    if event.type not in INVOICE_EVENTS:
        return None
    if event.type == EventType.REFUND_SUCCEEDED:
        return payload(event, RefundData).invoice
    return event.object_id


def named_customer(event: Event) -> str | None:
    """The customer the event names, if it names one."""
    data = payload(event, EventPayload)
    return data.customer if isinstance(data, _NAMING_CUSTOMER) else None


def plan_of(event: Event) -> str | None:
    """The plan the event names, if it names one (a cheaper plan offered, over the one
    the subscriber leaves)."""
    data = payload(event, EventPayload)
    if isinstance(data, CancellationFeedbackData):
        return data.offer.plan if data.offer and data.offer.plan else data.plan
    return data.plan if isinstance(data, SubscriptionData | UpcomingInvoiceData) else None


def customer_id(event: Event, found: Found) -> str | None:
    """The customer an event's emails go to: named in the event or by its invoice."""
    named = named_customer(event)
    if named:
        return named
    invoice = found.invoices.get((event.account_id, invoice_id(event) or ""))
    return invoice.customer_id if invoice else None


def needs_lines(event: Event, invoice: Invoice) -> bool:
    """Whether the event's email lists the invoice's lines (a billing run's thousands of
    invoices charged automatically need none read for their `invoice.finalized`)."""
    if event.type == EventType.INVOICE_FINALIZED:
        return _sent_for_transfer(invoice)
    return event.type == EventType.INVOICE_PAID and invoice.total > 0 and invoice.amount_paid > 0


def emails_for(event: Event, found: Found) -> list[Planned]:
    data = payload(event, EventPayload)
    account = found.accounts[event.account_id]
    plan = found.plans.get((event.account_id, plan_of(event) or ""), "")
    at = event.occurred_at.isoformat()
    invoice = found.invoices.get((event.account_id, invoice_id(event) or ""))
    if isinstance(data, SubscriptionData):
        return _subscription_emails(event, data, found, plan, at)
    if isinstance(data, SupportRequestMessageData):
        return _support_emails(event, data)
    if isinstance(data, UpcomingInvoiceData):
        context = {
            "plan": plan,
            "renews_at": _instant(data.renews_at),
            "amount": data.amount,
            "currency": data.currency,
            "subscription": data.subscription,
        }
        return [Planned(event, "upcoming_renewal", context)]
    if event.type == EventType.INVOICE_FINALIZED:
        if invoice is None or not _sent_for_transfer(invoice):
            return []
        lines = found.lines.get((event.account_id, invoice.id), [])
        context = {**_invoice(invoice, lines), **_transfer(account, invoice)}
        emails = [Planned(event, "invoice_sent", context)]
        reminder = _reminder_delay(account, invoice, event.occurred_at)
        if reminder is not None:
            emails.append(Planned(event, "invoice_due_reminder", context, reminder))
        return emails
    if event.type == EventType.INVOICE_PAID and isinstance(data, InvoiceData):
        if data.total <= 0 or data.amount_paid <= 0:
            return []  # nothing was paid: no receipt
        context = {
            "number": data.number or data.id,
            "amount": data.amount_paid,
            "currency": data.currency,
            "paid_at": at,
        }
        if invoice is not None:
            lines = found.lines.get((event.account_id, invoice.id), [])
            context = {**_invoice(invoice, lines), **context}
        return [Planned(event, "receipt", context)]
    if event.type == EventType.REFUND_SUCCEEDED and isinstance(data, RefundData):
        if invoice is None:
            return []
        context = {
            "number": invoice.number or invoice.id,
            "invoice": invoice.id,
            "amount": data.amount,
            "currency": data.currency,
            "refunded_at": at,
        }
        return [Planned(event, "refund", context)]
    if isinstance(data, InvoicePaymentFailedData):
        next_attempt = data.next_payment_attempt
        context = {
            "number": data.number or data.id,
            "amount": data.amount_due - data.amount_paid,
            "currency": data.currency,
            "attempt": data.attempt_count,
            "next_attempt": _instant(next_attempt) if next_attempt else None,
            "last_attempt": next_attempt is None,
            "subscription": data.subscription,
        }
        first = found.first_failure.get((event.account_id, event.object_id)) == event.id
        return [Planned(event, "payment_failed" if first else "dunning_reminder", context)]
    if event.type == EventType.RETENTION_OFFER_ACCEPTED:
        assert isinstance(data, CancellationFeedbackData)
        return _offer_accepted(event, data, plan)
    if event.type == EventType.PAYMENT_METHOD_EXPIRING and isinstance(data, PaymentMethodData):
        if not data.exp_year or not data.exp_month:
            return []
        context = {
            "brand": data.brand or "",
            "last4": data.last4 or "",
            "exp_month": data.exp_month,
            "exp_year": data.exp_year,
        }
        return [Planned(event, "card_expiring", context)]
    if isinstance(data, EmailChangeData):
        return [Planned(event, "email_change", {"email_change": data.id, "new_email": data.email})]
    if isinstance(data, PortalSessionData) and data.origin == "email":
        return [Planned(event, "sign_in", {"portal_session": data.id})]
    if event.type == EventType.PARTNER_PERK_POOL_LOW and isinstance(data, PerkPoolLowData):
        context = {
            "perk": data.name,
            "partner": data.partner_name,
            "available": data.available,
            "threshold": data.low_stock_threshold,
            "waiting": data.waiting,
        }
        return [Planned(event, "perk_pool_low", context)]
    return []


def _subscription_emails(
    event: Event, data: SubscriptionData, found: Found, plan: str, at: str
) -> list[Planned]:
    kind = event.type
    if welcomes(event, data):
        if not welcomed(event, found.first_subscription):
            return []  # a welcome is for a customer's first subscription only
        trial = data.trial_end if data.status is Status.TRIALING else None
        context = {
            "plan": plan,
            "trial_end": _instant(trial) if trial else None,
            "period_end": _instant(data.current_period_end),
            "guide": found.guides.get((event.account_id, data.id), []),
        }
        return [Planned(event, "welcome", context)]
    if kind == EventType.SUBSCRIPTION_TRIAL_WILL_END:
        trial_end = _instant(data.trial_end) if data.trial_end else None
        context = {"plan": plan, "trial_end": trial_end, "subscription": data.id}
        return [Planned(event, "trial_ending", context)]
    if kind == EventType.SUBSCRIPTION_UPDATED:
        if data.change is SubscriptionChange.CANCEL_SCHEDULED:
            ends_at = _instant(data.cancel_at) if data.cancel_at else None
            context = {"plan": plan, "ends_at": ends_at, "subscription": data.id}
            return [Planned(event, "cancel_scheduled", context)]
        if data.change not in PLAN_CHANGES:
            return []
        context = {"plan": plan, "period_end": _instant(data.current_period_end)}
        return [Planned(event, "plan_changed", context)]
    if kind == EventType.SUBSCRIPTION_CANCELED:
        context = {"plan": plan, "canceled_at": at, "subscription": data.id}
        emails = [Planned(event, "canceled", context)]
        winback_days = found.accounts[event.account_id].winback_days
        if winback_days:
            delay = timedelta(days=winback_days)
            emails.append(Planned(event, "winback", context, delay))
        return emails
    return []


def _support_emails(event: Event, data: SupportRequestMessageData) -> list[Planned]:
    """A new request: a notice to the support address and a confirmation to the
    subscriber. A reply: the merchant's to the subscriber, the subscriber's to the support
    address. Each carries the message it is about, as written."""
    context = {
        "request": data.id,
        "request_subject": data.subject,
        "category": data.category,
        "message": data.message.body,
    }
    if not isinstance(data, SupportRequestRepliedData):
        return [
            Planned(event, "support_notice", context),
            Planned(event, "support_confirmation", context),
        ]
    if data.replied_by == "merchant":
        return [Planned(event, "support_reply", context)]
    return [Planned(event, "support_follow_up", context)]


def _offer_accepted(event: Event, data: CancellationFeedbackData, plan: str) -> list[Planned]:
    """What the subscriber agreed to instead of leaving, in the offer's own terms."""
    offer = data.offer
    if offer is None:
        return []
    context: dict[str, Any] = {
        "plan": plan,
        "offer": offer.kind,
        "currency": offer.currency,
        "subscription": data.subscription,
    }
    if offer.kind == "coupon":
        context |= {
            "percent_off": offer.percent_off,
            "amount_off": offer.amount_off,
            "periods": offer.periods,
        }
    elif offer.kind == "pause":
        resume_at = _instant(offer.resume_at) if offer.resume_at else None
        context |= {"resume_at": resume_at, "amount": offer.credit or 0}
    else:
        effective_at = _instant(offer.effective_at) if offer.effective_at else None
        context |= {"period_end": effective_at, "amount": offer.offer_amount}
    return [Planned(event, "retention_offer_accepted", context)]


def welcomes(event: Event, data: SubscriptionData) -> bool:
    """Whether the event starts a subscription the subscriber is welcomed to: its creation,
    or, for one created `incomplete` until its first payment (a checkout paying by card),
    that payment's activating it; a subscription whose first charge fails welcomes no one."""
    if event.type == EventType.SUBSCRIPTION_CREATED:
        return data.status is not Status.INCOMPLETE
    return (
        event.type == EventType.SUBSCRIPTION_UPDATED
        and data.change is SubscriptionChange.ACTIVATED
        and data.previous_status is Status.INCOMPLETE
    )


def _instant(value: datetime) -> str:
    """RFC 3339, as the event carried it (UTC as `Z`)."""
    return value.isoformat().replace("+00:00", "Z")


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
        "due_at": invoice.due_at.isoformat() if invoice.due_at else None,
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
