"""Subscriber emails: the rows the events call for (`email_plan` says which), and sending
them exactly once.

`fan_out` runs in the outbox dispatcher's transaction and writes one `email_messages` row
per (event, email), unique, with its Message-ID fixed; a delayed email (the win-back) gets a
`send_after` on the customer's own clock. `send_due` is the worker's staged step
(`recura.staged`): claim a batch and mark it `sending` (commit), talk to the SMTP server
outside any transaction, each email within a total deadline, record each outcome in its
own transaction. A worker that dies in between leaves rows `sending`; once their claim
expires another claims and sends them again under the same Message-ID, which the
receiving side deduplicates.

An email goes out only while it is timely: within the mailer's `max_age` (24 h by default)
of falling due. One that could not go by then (no SMTP server was configured, the server
refused it all day) is `skipped` with the reason, never sent late: a "payment failed" for
an invoice paid since does more harm than none. Age is real time, as the retries are: for
a customer on a test clock, an email falls due on the clock's time, but advancing a clock
by a month makes the month's emails due in one moment, so their age runs from the later of
when the email was recorded and when its clock last moved.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from recura import staged
from recura.clock import Clock
from recura.db import bulk
from recura.db.models import Customer, EmailMessage, EmailTemplate, Event, InvoicePdf
from recura.db.unit_of_work import Units
from recura.domains.accounts import repository as accounts_repository
from recura.domains.accounts.service import support_address
from recura.domains.announcements import repository as announcements_repository
from recura.domains.common import languages
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers_repository
from recura.domains.documents import repository as documents_repository
from recura.domains.documents import service as documents
from recura.domains.email_messages import repository
from recura.domains.email_templates import repository as email_templates
from recura.domains.events import repository as events_repository
from recura.domains.events.payloads import EventType, SubscriptionData
from recura.domains.invoices import repository as invoices_repository
from recura.domains.onboarding import guide
from recura.domains.plans import repository as plans_repository
from recura.domains.subscriptions import repository as subscriptions_repository
from recura.ids import new_ids
from recura.notifications import (
    announcements,
    links,
    overrides,
    perk_emails,
    rendering,
    sandbox,
    sandbox_process,
    smtp,
)
from recura.notifications.email_plan import (
    MERCHANT_EVENTS,
    Found,
    Planned,
    customer_id,
    emails_for,
    invoice_id,
    named_customer,
    needs_lines,
    payload,
    plan_of,
    readable,
    welcomed,
    welcomes,
)

log = logging.getLogger(__name__)

BATCH = 50
# Marking untimely emails skipped is a cheap update; it takes larger batches.
EXPIRE_BATCH = 500
# After a temporary failure, try again after these delays; then give up.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
HANDLED = frozenset(
    {
        EventType.SUBSCRIPTION_CREATED,
        EventType.SUBSCRIPTION_TRIAL_WILL_END,
        EventType.SUBSCRIPTION_UPDATED,
        EventType.SUBSCRIPTION_CANCELED,
        EventType.INVOICE_UPCOMING,
        EventType.INVOICE_FINALIZED,
        EventType.INVOICE_PAID,
        EventType.INVOICE_PAYMENT_FAILED,
        EventType.REFUND_SUCCEEDED,
        EventType.PAYMENT_METHOD_EXPIRING,
        EventType.PORTAL_SESSION_CREATED,
        EventType.CUSTOMER_EMAIL_CHANGE_REQUESTED,
        EventType.SUPPORT_REQUEST_CREATED,
        EventType.SUPPORT_REQUEST_REPLIED,
        EventType.PARTNER_PERK_POOL_LOW,
        EventType.RETENTION_OFFER_ACCEPTED,
    }
)
# The events that may welcome a subscriber (see `email_plan.welcomes`).
WELCOMING = frozenset({EventType.SUBSCRIPTION_CREATED, EventType.SUBSCRIPTION_UPDATED})
# Emails that go out only while their invoice is still open.
WHILE_OPEN = frozenset({"invoice_due_reminder"})
# Emails that carry their invoice's PDF: they wait for the worker to make it (the row that
# says it is to be made is written with them), and go out with it, never without.
WITH_PDF = frozenset({"invoice_sent", "invoice_due_reminder", "receipt"})
PDF_WAIT = timedelta(seconds=30)


def message_id(event_id: str, template: str) -> str:
    return f"<{event_id}.{template}@recura>"


# --- from events to message rows -------------------------------------------------------


def fan_out(session: Session, events: Sequence[Event], now: datetime) -> None:
    """The outbox's fan-out: the email rows the claimed events call for."""
    relevant = [
        e
        for e in events
        if e.type in HANDLED
        and readable(e)
        and (named_customer(e) or invoice_id(e) or e.type in MERCHANT_EVENTS)
    ]
    if not relevant:
        return
    found = _read(session, relevant)
    planned: list[Planned] = []
    for event in relevant:
        planned += emails_for(event, found)
    keys = {(p.event.account_id, cid) for p in planned if (cid := customer_id(p.event, found))}
    customers = customers_repository.customers_by_key(session, keys)
    existing = repository.templates_written(
        session, [(p.event.account_id, p.event.id) for p in planned]
    )
    rows = []
    for item in planned:
        if (item.event.id, item.template) in existing:
            continue  # written by an earlier dispatch of this event
        event = item.event
        account = found.accounts[event.account_id]
        if item.template in rendering.MERCHANT:
            to = {
                "customer_id": None,
                "to_address": perk_emails.merchant_address(account),
                "locale": perk_emails.merchant_locale(account),
                "context": dict(item.context),
                "test_clock_id": None,
            }
        else:
            customer = customers.get((event.account_id, customer_id(event, found) or ""))
            if customer is None:
                continue
            to_address, reader = customer.email, customer.locale
            if item.template in rendering.TO_NEW_ADDRESS:
                # Proving the new address works: the link goes there, not to the old one.
                to_address = item.context["new_email"]
            context = {"customer_name": customer.name or "", **item.context}
            if item.template in rendering.TO_SUPPORT:
                # The merchant's staff read it in the account's language, and answer the
                # subscriber by replying to it.
                to_address, reader = support_address(account), None
                context["customer_email"] = customer.email or ""
            locale = languages.for_customer(reader, account.locale, account.fallback_locale)
            if "guide" in context:
                context["guide"] = guide.localized_guide(context["guide"], locale, account)
            to = {
                "customer_id": customer.id,
                "to_address": to_address,
                "locale": locale,
                "context": context,
                "test_clock_id": customer.test_clock_id,
            }
        rows.append(
            {
                "account_id": event.account_id,
                "livemode": event.livemode,
                "created_at": now,
                "updated_at": now,
                "event_id": event.id,
                "template": item.template,
                **to,
                "subject": None,
                "text": None,
                "html": None,
                "status": "pending",
                "attempts": 0,
                "send_after": event.occurred_at + item.delay,
                "claimed_at": None,
                "next_attempt_at": None,
                "message_id": message_id(event.id, item.template),
                "last_error": None,
                "sent_at": None,
            }
        )
    for row, row_id in zip(rows, new_ids("email_message", len(rows)), strict=True):
        row["id"] = row_id
    perk_emails.add_welcome_perks(session, rows, now)
    # A billing run's receipts come in thousands: one COPY on PostgreSQL.
    bulk.insert_rows(session, EmailMessage, rows)


def _read(session: Session, events: Sequence[Event]) -> Found:
    """Everything the events' emails say, read for the whole batch."""
    accounts = accounts_repository.accounts_by_id(session, {e.account_id for e in events})
    plan_keys = {(e.account_id, plan) for e in events if (plan := plan_of(e))}
    invoice_keys = {(e.account_id, i) for e in events if (i := invoice_id(e))}
    invoices = invoices_repository.invoices_by_key(session, invoice_keys)
    line_keys = {
        key
        for e in events
        if (key := (e.account_id, e.object_id)) in invoices and needs_lines(e, invoices[key])
    }
    plans = plans_repository.plans_by_key(session, plan_keys)
    first_subscription = _first_subscriptions(session, events)
    return Found(
        accounts=accounts,
        plans={key: plan.name for key, plan in plans.items()},
        invoices=invoices,
        lines=invoices_repository.lines_by_invoice(session, line_keys),
        first_subscription=first_subscription,
        first_failure=_first_failures(session, events),
        guides=_guides(session, events, plans, first_subscription),
    )


def _guides(
    session: Session,
    events: Sequence[Event],
    plans: dict[tuple[str, str], Any],
    first_subscription: dict[tuple[str, str], str],
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The onboarding guide of each subscription a welcome email is for."""
    wanted: dict[tuple[str, bool], list[tuple[str, str, str]]] = {}
    for event in events:
        if not welcomed(event, first_subscription):
            continue
        data = payload(event, SubscriptionData)
        plan = plans.get((event.account_id, data.plan or ""))
        if plan is None:
            continue
        key = (event.account_id, event.livemode)
        wanted.setdefault(key, []).append((data.id, plan.id, plan.product_id))
    return guide.guides_for_welcomes(session, wanted) if wanted else {}


def _first_subscriptions(session: Session, events: Sequence[Event]) -> dict[tuple[str, str], str]:
    """(account, customer) -> the id of the customer's first subscription."""
    keys = {
        (e.account_id, customer)
        for e in events
        if e.type in WELCOMING
        and welcomes(e, payload(e, SubscriptionData))
        and (customer := named_customer(e))
    }
    return subscriptions_repository.first_subscription_ids(session, keys)


def _first_failures(session: Session, events: Sequence[Event]) -> dict[tuple[str, str], str]:
    """(account, invoice) -> the id of the invoice's first `invoice.payment_failed` event."""
    keys = {
        (e.account_id, e.object_id) for e in events if e.type == EventType.INVOICE_PAYMENT_FAILED
    }
    return events_repository.first_payment_failures(session, keys)


# --- sending ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Outgoing:
    account_id: str
    row_id: str
    claimed_at: datetime
    envelope: smtp.Envelope


@dataclass(frozen=True, slots=True)
class _Unrendered:
    """A claimed email in an operator's override, to render once the claim is committed."""

    account_id: str
    livemode: bool
    row_id: str
    claimed_at: datetime
    label: str  # the email and its language, for the error
    template_id: str
    override: overrides.Override
    values: dict[str, Any]
    letter: dict[str, Any]  # smtp.build's arguments but the subject, text and HTML


@dataclass(frozen=True, slots=True)
class Sent:
    """What became of one send."""

    status: str  # "sent" | "retry" | "failed"
    error: str | None = None
    # An override's subject, text and HTML as rendered for this send: kept in the email log.
    rendered: tuple[str, str, str] | None = None
    # The override did not render within its budget: it is set aside (`_give_up_override`).
    refused: sandbox.Refused | None = None


class Mailing(staged.Kind[_Outgoing | _Unrendered, Sent]):
    """Due emails as a staged batch: claimed and rendered (marked `sending`), sent over one
    SMTP session, each within the mailer's total deadline, recorded."""

    name = "emails"

    def __init__(self, mailer: smtp.Mailer, config: smtp.SmtpConfig) -> None:
        self.mailer = mailer
        self.deadline = config.deadline
        self.connection = smtp.Connection(config)

    def claim(self, session: Session, now: datetime, limit: int) -> list[_Outgoing | _Unrendered]:
        claimed = claim_due(session, now, limit, self.mailer.max_age)
        self.taken = len(claimed)
        try:
            with session.begin_nested():
                batch = _read_ahead(session, claimed)
                prepared = [prepare(session, self.mailer, row, now, batch) for row in claimed]
                session.flush()
            return [item for item in prepared if item is not None]
        except Exception:
            log.warning("could not prepare %d emails at once; one by one", len(claimed))
        return self._one_by_one(session, claimed, now)

    def _one_by_one(
        self, session: Session, claimed: Sequence[EmailMessage], now: datetime
    ) -> list[_Outgoing | _Unrendered]:
        outgoing: list[_Outgoing | _Unrendered] = []
        for row in claimed:
            try:
                with session.begin_nested():
                    prepared = prepare(session, self.mailer, row, now)
                    session.flush()
            except Exception as broken:
                log.exception("could not prepare email %s", row.id)
                _finish(row, "failed", now, f"could not render: {broken}"[:1000])
                continue
            if prepared is not None:
                outgoing.append(prepared)
        return outgoing

    def send(self, item: _Outgoing | _Unrendered, deadline: staged.Deadline) -> Sent:
        rendered = None
        if isinstance(item, _Unrendered):
            # An operator's override renders here, after the claim's commit and outside any
            # transaction, in the sandbox's processes within the rendering budget.
            try:
                subject, html, text = overrides.render(item.override, item.values)
            except sandbox.Refused as refused:
                return Sent("failed", refused.reason, refused=refused)
            except sandbox_process.Unavailable as unavailable:  # not the template's fault
                log.error("could not render email %s: %s", item.row_id, unavailable)
                return Sent("retry", str(unavailable))
            rendered = (subject, text, html)
            envelope = smtp.build(**item.letter, subject=subject, text=text, html=html)
        else:
            envelope = item.envelope
        try:
            self.connection.send(envelope, deadline)
        except smtp.TemporaryFailure as failure:
            return Sent("retry", str(failure), rendered)
        except smtp.PermanentFailure as failure:
            return Sent("failed", str(failure), rendered)
        return Sent("sent", None, rendered)

    def unanswered(self, item: _Outgoing | _Unrendered, error: Exception) -> Sent:
        # Not knowing whether it went: tried again later, under the same Message-ID.
        return Sent("retry", f"{type(error).__name__}: {error}")

    def record(
        self, session: Session, item: _Outgoing | _Unrendered, answer: Sent, now: datetime
    ) -> None:
        self.record_many(session, [(item, answer)], now)

    def record_many(
        self,
        session: Session,
        answered: Sequence[tuple[_Outgoing | _Unrendered, Sent]],
        now: datetime,
    ) -> None:
        rows = _claimed(session, [item for item, _ in answered])
        for item, answer in answered:
            if isinstance(item, _Unrendered) and answer.refused is not None:
                _give_up_override(session, item, answer.refused, rows.get(item.row_id), now)
                continue
            record(rows.get(item.row_id), answer.status, answer.error, now, answer.rendered)

    def release(
        self, session: Session, items: Sequence[_Outgoing | _Unrendered], now: datetime
    ) -> None:
        rows = _claimed(session, items)
        for item in items:
            row = rows.get(item.row_id)
            if row is not None:
                row.status, row.claimed_at, row.updated_at = "pending", None, now
                row.attempts -= 1


def send_due(mailer: smtp.Mailer, units: Units, clock: Clock, limit: int = BATCH) -> int:
    """The worker's step: one staged batch of due emails. Returns how many were claimed."""
    if mailer.smtp is None:
        return 0  # no server configured: emails wait, recorded
    mailing = Mailing(mailer, mailer.smtp)
    try:
        return staged.run(units, clock, mailing, limit)
    finally:
        mailing.connection.close()


def claim_due(
    session: Session, now: datetime, limit: int, max_age: timedelta = smtp.MAX_AGE
) -> list[EmailMessage]:
    """Pending emails due (on their customer's clock, when it has one) and still timely,
    and `sending` ones whose worker is gone, locked so no other worker takes them."""
    return repository.lock_due(session, now, limit, max_age, staged.abandoned_before(now))


def expire_untimely(
    session: Session, now: datetime, max_age: timedelta = smtp.MAX_AGE, limit: int = EXPIRE_BATCH
) -> int:
    """The worker's step, with or without an SMTP server: due emails past their time are
    marked `skipped` with the reason, so none waits to go out late. Returns how many."""
    found = repository.lock_untimely(session, now, max_age, limit)
    for row, clock_moved in found:
        since = row.send_after if clock_moved is None else max(row.created_at, clock_moved)
        reason = f"too old to send: due since {_rfc3339(since)}, over {_hours(max_age)} ago"
        if row.last_error:
            reason += f"; the last try: {row.last_error}"
        _finish(row, "skipped", now, reason[:1000])
    return len(found)


def set_aside(session: Session, tenant: Tenant, now: datetime, reason: str) -> int:
    """Mark every pending email of the tenant `skipped` for `reason`; returns how many."""
    return repository.skip_pending(session, tenant, now, reason)


def _hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:g} h"


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(slots=True)
class _Batch:
    """What preparing many emails reads once for all of them: their accounts and
    customers (held here, as the session keeps a row only while it is referenced), and
    the overrides in use, as found."""

    rows: list[object]
    overrides: dict[tuple[Tenant, str, str], EmailTemplate | None] = field(default_factory=dict)
    logos: dict[str, str | None] = field(default_factory=dict)
    # (account, invoice) -> its PDF row, for the emails that attach one (read ahead).
    pdfs: dict[tuple[str, str], InvoicePdf] = field(default_factory=dict)

    def pdf(self, session: Session, account_id: str, invoice_id: str) -> InvoicePdf | None:
        key = (account_id, invoice_id)
        if key not in self.pdfs:
            self.pdfs.update(documents_repository.of_invoices(session, [key]))
        return self.pdfs.get(key)

    def logo(self, session: Session, account_id: str) -> str | None:
        """The hash of the account's logo, if it has one (read once per batch)."""
        if account_id not in self.logos:
            self.logos[account_id] = accounts_repository.logo_hash(session, account_id)
        return self.logos[account_id]

    def override(self, session: Session, tenant: Tenant, row: EmailMessage) -> EmailTemplate | None:
        key = (tenant, row.template, row.locale)
        if key not in self.overrides:
            self.overrides[key] = email_templates.in_use(session, tenant, *key[1:])
        return self.overrides[key]


def _read_ahead(session: Session, claimed: Sequence[EmailMessage]) -> _Batch:
    accounts = accounts_repository.accounts_by_id(session, {row.account_id for row in claimed})
    customers = customers_repository.customers_by_key(
        session,
        [(row.account_id, row.customer_id) for row in claimed if row.customer_id is not None],
    )
    with_pdf = [
        (row.account_id, str(row.context["invoice"]))
        for row in claimed
        if row.template in WITH_PDF and row.context.get("invoice")
    ]
    pdfs = documents_repository.of_invoices(session, with_pdf) if with_pdf else {}
    return _Batch([*accounts.values(), *customers.values()], pdfs=pdfs)


def prepare(
    session: Session,
    mailer: smtp.Mailer,
    row: EmailMessage,
    now: datetime,
    batch: _Batch | None = None,
) -> _Outgoing | _Unrendered | None:
    """Render the claimed row and mark it `sending`; None (and the row `skipped`) when
    there is nothing to send. An operator's override is not rendered here, inside the
    claim's transaction, but as it is sent (`Mailing.send`): `_Unrendered`. `batch`: what
    `_read_ahead` read for the row and the others prepared with it."""
    if row.to_address is None:
        _finish(
            row, "skipped", now, _NO_ADDRESS.get(row.template, "the customer has no email address")
        )
        return None
    batch = batch or _Batch([])
    account = accounts_repository.account_by_key(session, row.account_id)
    customer = (
        customers_repository.find_by_key(session, row.account_id, row.customer_id)
        if row.customer_id
        else None
    )
    reason = _why_not(session, row, customer, now)
    if reason is not None:
        _finish(row, "skipped", now, reason)
        return None
    attachments: list[tuple[str, bytes]] = []
    if row.template in WITH_PDF and row.context.get("invoice"):
        found_pdf = batch.pdf(session, row.account_id, str(row.context["invoice"]))
        if found_pdf is not None and found_pdf.content is None:
            # Not made yet: the email waits, pending, without spending an attempt.
            row.next_attempt_at = now + PDF_WAIT
            row.last_error = "waiting for the invoice's PDF"
            row.updated_at = now
            return None
        if found_pdf is not None and found_pdf.content is not None:
            attachments.append((_pdf_name(row.context), found_pdf.content))
        # No row at all: an email written before invoices had PDFs goes without.
    tenant = Tenant(row.account_id, row.livemode)
    sender = account.email_from_address or mailer.default_from
    questions = account.email_reply_to or sender
    if row.template in rendering.SUPPORT:
        questions = support_address(account) or questions
    logo = batch.logo(session, account.id)
    brand = rendering.Brand(
        name=account.email_from_name or account.legal_name,
        timezone=account.timezone,
        support_address=questions,
        color=account.brand_color,
        logo_url=mailer.url(f"/assets/logos/{account.id}/{logo}") if logo else None,
        terms_url=account.terms_url,
        privacy_url=account.privacy_url,
    )
    urls: dict[links.Purpose, str] = {}
    for purpose in rendering.LINKS.get(row.template, ()):
        subject = row.context.get(_SUBJECTS.get(purpose, "subscription"))
        if purpose == "invoice" and subject is None:
            continue  # written before receipts named their invoice: no link
        token = links.sign(
            mailer.secret,
            purpose,
            tenant.account_id,
            tenant.livemode,
            row.customer_id or "",
            subject,
            now,
        )
        urls[purpose] = mailer.url(_PATHS[purpose] + token)
    unsubscribe = None
    if row.template in rendering.MARKETING:
        unsubscribe = (urls["unsubscribe"], account.email_reply_to or sender)
    reply_to, to_name = account.email_reply_to, row.context.get("customer_name") or None
    if row.template in rendering.TO_SUPPORT:
        # The support address answers the subscriber by replying.
        reply_to, to_name = row.context.get("customer_email") or None, None
    elif row.template in rendering.SUPPORT:
        # The subscriber's answer reaches whoever handles support requests.
        reply_to = support_address(account) or reply_to
    letter: dict[str, Any] = {
        "from_name": brand.name,
        "from_address": sender,
        "reply_to": reply_to,
        "to_name": to_name,
        "to_address": row.to_address,
        "message_id": row.message_id,
        "locale": row.locale,
        "date": now,
        "template": row.template,
        "unsubscribe": unsubscribe,
        "attachments": attachments,
    }
    found = batch.override(session, tenant, row)
    _mark_sending(row, now)
    if found is not None:
        return _Unrendered(
            account_id=row.account_id,
            livemode=row.livemode,
            row_id=row.id,
            claimed_at=now,
            label=f"{row.template} ({row.locale})",
            template_id=found.id,
            override=overrides.Override(found.subject, found.html, found.text),
            values=rendering.view(row.template, row.locale, row.context, brand, urls),
            letter={**letter, "images": rendering.images(row.context)},
        )
    rendered = rendering.render(row.template, row.locale, row.context, brand, urls)
    envelope = smtp.build(
        **letter,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        images=rendered.images,
    )
    # As sent, for the email log: support sees what the subscriber received; but not a link
    # that signs an operator in.
    row.subject = rendered.subject[:998]
    if row.template not in rendering.OPERATOR:
        row.text = rendered.text
        row.html = rendered.html
    return _Outgoing(row.account_id, row.id, now, envelope)


def _pdf_name(context: dict[str, Any]) -> str:
    """The attachment's file name: the invoice's number, in characters every mail
    client keeps."""
    return documents.filename(str(context.get("number") or context.get("invoice") or "invoice"))


def _mark_sending(row: EmailMessage, now: datetime) -> None:
    row.status = "sending"
    row.attempts += 1
    row.claimed_at = now
    row.updated_at = now


def _give_up_override(
    session: Session,
    item: _Unrendered,
    refused: sandbox.Refused,
    row: EmailMessage | None,
    now: datetime,
) -> None:
    """Fail the email and set its override aside. Sending Recura's version instead of the
    rest keeps receipts and payment notices going out, in the same words they would have
    had before the operator wrote one, while the API shows the override disabled and why;
    saving it again (through the check) puts it back."""
    where = f" in the {refused.part}" if refused.part else ""
    said = refused.reason if refused.over_budget else f"does not render: {refused.reason}"
    reason = f"the account's {item.label} template{where} {said}"
    tenant = Tenant(item.account_id, item.livemode)
    email_templates.set_aside(
        session, tenant, item.template_id, item.override.sources(), reason, now
    )
    record(row, "failed", f"could not render: {reason}", now)


# Why an email without an address is skipped, when it is not the customer's missing one.
_NO_ADDRESS = {
    template: "the account has no support address (support_email, email_reply_to or "
    "email_from_address)"
    for template in rendering.TO_SUPPORT
}


_PATHS: dict[links.Purpose, str] = {
    "unsubscribe": "/email/unsubscribe/",
    "update_payment_method": "/portal/payment-method/",
    "reactivate": "/portal/reactivate/",
    "invoice": "/portal/invoice/",
    "sign_in": "/portal/sign-in/",
    "email_change": "/portal/email-change/",
    "password_reset": "/console/reset-password/",
}
# The context value naming each link's object.
_SUBJECTS: dict[links.Purpose, str] = {
    "invoice": "invoice",
    "sign_in": "portal_session",
    "email_change": "email_change",
    "password_reset": "password_reset",
}


def _why_not(
    session: Session, row: EmailMessage, customer: Customer | None, now: datetime
) -> str | None:
    """Why a claimed email should not go out after all, if it should not."""
    if row.template in WHILE_OPEN:
        invoice = invoices_repository.find_by_key(
            session, row.account_id, row.context.get("invoice", "")
        )
        if invoice is None or invoice.status != "open":
            return "the invoice is no longer open"
        return None
    if row.template not in rendering.MARKETING:
        return None
    if customer is None or customer.marketing_opted_out_at is not None:
        return "the customer unsubscribed"
    if row.template == announcements.TEMPLATE:
        found = announcements_repository.find_by_key(
            session, row.account_id, row.context.get("announcement", "")
        )
        if found is None or found.archived_at is not None:
            return "the announcement was withdrawn"
        if found.ends_at is not None and found.ends_at <= now:
            return "the announcement has ended"
        return None
    sub_id = row.context.get("subscription")
    sub = subscriptions_repository.find_by_key(session, row.account_id, sub_id) if sub_id else None
    if sub is None or sub.status != "canceled":
        return "the subscription is no longer canceled"
    if subscriptions_repository.count_not_canceled(session, row.account_id, customer.id):
        return "the customer has subscribed again"
    return None


def _finish(row: EmailMessage, status: str, now: datetime, error: str | None) -> None:
    row.status = status
    row.last_error = error
    row.updated_at = now
    row.next_attempt_at = None
    if status == "sent":
        row.sent_at = now


def record(
    row: EmailMessage | None,
    status: str,
    error: str | None,
    now: datetime,
    rendered: tuple[str, str, str] | None = None,
) -> None:
    """The outcome of one send on its row (`_claimed`), unless another worker has claimed
    the row since (None). `rendered`: an override's subject, text and HTML as sent, for
    the email log."""
    if row is None:
        return
    if rendered is not None:
        row.subject = rendered[0][:998]
        row.text, row.html = rendered[1:]
    if status == "retry":
        if row.attempts >= MAX_ATTEMPTS:
            _finish(row, "failed", now, f"gave up after {row.attempts} attempts: {error}"[:1000])
            return
        row.status = "pending"
        row.last_error = (error or "")[:1000]
        row.next_attempt_at = now + BACKOFF[row.attempts - 1]
        row.updated_at = now
        return
    _finish(row, status, now, error[:1000] if error else None)


def _claimed(session: Session, items: Sequence[_Outgoing | _Unrendered]) -> dict[str, EmailMessage]:
    """The items' rows by id, locked in the order of their keys, those still under the
    items' claim."""
    keys = sorted((item.account_id, item.row_id) for item in items)
    claimed_at = {item.row_id: item.claimed_at for item in items}
    found = repository.lock_sending(session, keys)
    return {row.id: row for row in found if row.claimed_at == claimed_at[row.id]}
