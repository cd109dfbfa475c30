"""Open a support request, reply on either side, close it, and read it back.

The portal calls these for the signed-in subscriber (`customer_id` given: another
customer's request is not found), the API for the merchant (the tenant's requests). Each
change records its event (`support_request.created`, `.replied`, `.closed`) in the same
transaction; the emails it calls for leave through the outbox (`notifications.email_plan`).

A closed request: the subscriber's reply reopens it (they still need help); the
merchant's reply is refused (409), since the subscriber closed it or was told it was
done: the merchant answers within an open request. Closing a closed request changes
nothing, and sending the same message twice in a row (a form posted twice) records it once.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from recura.core import funnels
from recura.db.models import Customer, SupportMessage, SupportRequest
from recura.domains.common.errors import (
    ConflictError,
    FieldError,
    InvalidError,
    NotFoundError,
)
from recura.domains.common.pages import MAX_LIMIT, Page
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers_repository
from recura.domains.customers import service as customers
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.funnels import counters
from recura.domains.support_requests import repository
from recura.domains.support_requests.categories import CATEGORIES, STATUSES
from recura.domains.support_requests.schemas import (
    MESSAGE_MAX,
    SUBJECT_MAX,
    SupportMessageOut,
    SupportRequestOut,
    SupportRequestThreadOut,
    request_fields,
)
from recura.ids import new_id

CUSTOMER = "customer"
MERCHANT = "merchant"


@dataclass(frozen=True, slots=True)
class Thread:
    """A request and its messages, oldest first."""

    request: SupportRequest
    messages: list[SupportMessage]


# --- the subscriber's side (the portal) ------------------------------------------------


def open_request(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    *,
    category: str,
    subject: str,
    message: str,
    now: datetime,
    invoice_id: str | None = None,
    subscription_id: str | None = None,
) -> Thread:
    """A new request by the customer, with its first message; `invoice_id` and
    `subscription_id` (optional, empty means none) must be the customer's own. Bad input
    raises InvalidError naming each field (`/category`, `/subject`, `/message`,
    `/invoice`, `/subscription`)."""
    customer = _customer(session, tenant, customer_id)
    errors: list[FieldError] = []
    if category not in CATEGORIES:
        errors.append(FieldError("/category", f"must be one of {', '.join(CATEGORIES)}"))
    clean_subject = _subject(subject, errors)
    body = _body(message, "/message", errors)
    invoice_id = invoice_id or None
    subscription_id = subscription_id or None
    if invoice_id is not None:
        owner = repository.invoice_customer(session, tenant, invoice_id)
        if owner != customer.id:
            errors.append(FieldError("/invoice", f"no invoice '{invoice_id}' of this customer"))
    if subscription_id is not None:
        owner = repository.subscription_customer(session, tenant, subscription_id)
        if owner != customer.id:
            errors.append(
                FieldError("/subscription", f"no subscription '{subscription_id}' of this customer")
            )
    if errors:
        raise InvalidError(errors)
    now = customers.now_for(session, tenant, customer, now)
    request = SupportRequest(
        id=new_id("support_request"),
        **tenant.row_keys(),
        customer_id=customer.id,
        category=category,
        subject=clean_subject,
        status="open",
        invoice_id=invoice_id,
        subscription_id=subscription_id,
        first_response_at=None,
        first_response_seconds=None,
        closed_at=None,
        closed_by=None,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    counters.made(session, request)
    session.flush()
    first = _add_message(session, tenant, request, CUSTOMER, body, now)
    events.record(
        session,
        tenant,
        payloads.SupportRequestCreated(**_event_fields(request), message=_message_data(first)),
        now,
    )
    return Thread(request, [first])


def customer_reply(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    request_id: str,
    body: str,
    now: datetime,
) -> Thread:
    """The customer's reply: the request is `open` again (reopened if it was closed)."""
    return _reply(session, tenant, request_id, CUSTOMER, body, now, customer_id)


def customer_close(
    session: Session, tenant: Tenant, customer_id: str, request_id: str, now: datetime
) -> Thread:
    """The customer closes the request (their question is settled)."""
    return _close(session, tenant, request_id, CUSTOMER, now, customer_id)


def customer_requests(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    *,
    limit: int = 20,
    starting_after: str | None = None,
    status: str | None = None,
) -> Page[SupportRequest]:
    """The customer's requests, newest first, a page at a time (`starting_after`: the last
    id of the previous page)."""
    return page(
        session,
        tenant,
        limit=limit,
        starting_after=starting_after,
        status=status,
        customer=customer_id,
    )


def customer_thread(session: Session, tenant: Tenant, customer_id: str, request_id: str) -> Thread:
    """One of the customer's requests with its messages; another's is NotFoundError."""
    request = repository.of_customer(session, tenant, request_id, customer_id)
    if request is None:
        raise NotFoundError("support request", request_id)
    return Thread(request, repository.messages(session, tenant, request.id))


# --- the merchant's side (the API, the console) ----------------------------------------


def merchant_reply(
    session: Session, tenant: Tenant, request_id: str, body: str, now: datetime
) -> Thread:
    """The merchant's reply: the request is `answered`; the first one sets
    `first_response_at`. A closed request refuses it (ConflictError)."""
    return _reply(session, tenant, request_id, MERCHANT, body, now)


def merchant_close(session: Session, tenant: Tenant, request_id: str, now: datetime) -> Thread:
    return _close(session, tenant, request_id, MERCHANT, now)


def get(session: Session, tenant: Tenant, request_id: str) -> SupportRequest:
    request = repository.get(session, tenant, request_id)
    if request is None:
        raise NotFoundError("support request", request_id)
    return request


def thread(session: Session, tenant: Tenant, request_id: str) -> Thread:
    request = get(session, tenant, request_id)
    return Thread(request, repository.messages(session, tenant, request.id))


def page(
    session: Session,
    tenant: Tenant,
    *,
    limit: int,
    starting_after: str | None = None,
    status: str | None = None,
    customer: str | None = None,
) -> Page[SupportRequest]:
    if status is not None and status not in STATUSES:
        raise InvalidError([FieldError("/status", f"must be one of {', '.join(STATUSES)}")])
    limit = max(1, min(limit, MAX_LIMIT))
    return repository.page(
        session,
        tenant,
        limit=limit,
        starting_after=starting_after,
        status=status,
        customer=customer,
    )


def request_out(request: SupportRequest) -> SupportRequestOut:
    return SupportRequestOut.model_validate(request_fields(request))


def thread_out(found: Thread) -> SupportRequestThreadOut:
    return SupportRequestThreadOut.model_validate(
        {
            **request_fields(found.request),
            "messages": [SupportMessageOut.of(m) for m in found.messages],
        }
    )


# --- shared ----------------------------------------------------------------------------


def _customer(session: Session, tenant: Tenant, customer_id: str) -> Customer:
    customer = customers_repository.get(session, tenant, customer_id)
    if customer is None:
        raise NotFoundError("customer", customer_id)
    return customer


def _locked(
    session: Session, tenant: Tenant, request_id: str, customer_id: str | None
) -> SupportRequest:
    request = repository.locked(session, tenant, request_id, customer_id)
    if request is None:
        raise NotFoundError("support request", request_id)
    return request


def _reply(
    session: Session,
    tenant: Tenant,
    request_id: str,
    author: str,
    body: str,
    now: datetime,
    customer_id: str | None = None,
) -> Thread:
    errors: list[FieldError] = []
    text = _body(body, "/body", errors)
    if errors:
        raise InvalidError(errors)
    request = _locked(session, tenant, request_id, customer_id)
    if author == MERCHANT and request.status == "closed":
        raise ConflictError(
            f"Support request '{request.id}' is closed: the subscriber reopens it by replying."
        )
    last = repository.last_message(session, tenant, request.id)
    if last is not None and last.author == author and last.body == text:
        # The same message again, right after itself: a form or a request sent twice.
        return Thread(request, repository.messages(session, tenant, request.id))
    customer = customers_repository.by_key(session, tenant.account_id, request.customer_id)
    now = customers.now_for(session, tenant, customer, now)
    written = _add_message(session, tenant, request, author, text, now)
    if author == MERCHANT:
        request.status = "answered"
        if request.first_response_at is None:
            was = counters.counted(request)
            request.first_response_at = now
            request.first_response_seconds = funnels.wait_seconds(now - request.created_at)
            counters.changed(session, request, was)
    else:
        request.status = "open"
        request.closed_at = None
        request.closed_by = None
    request.updated_at = now
    session.flush()
    events.record(
        session,
        tenant,
        payloads.SupportRequestReplied(
            **_event_fields(request), message=_message_data(written), replied_by=author
        ),
        now,
    )
    return Thread(request, repository.messages(session, tenant, request.id))


def _close(
    session: Session,
    tenant: Tenant,
    request_id: str,
    by: str,
    now: datetime,
    customer_id: str | None = None,
) -> Thread:
    request = _locked(session, tenant, request_id, customer_id)
    if request.status != "closed":
        customer = customers_repository.by_key(session, tenant.account_id, request.customer_id)
        now = customers.now_for(session, tenant, customer, now)
        request.status = "closed"
        request.closed_at = now
        request.closed_by = by
        request.updated_at = now
        session.flush()
        events.record(
            session,
            tenant,
            payloads.SupportRequestClosed(**_event_fields(request), closed_by=by),
            now,
        )
    return Thread(request, repository.messages(session, tenant, request.id))


def _add_message(
    session: Session,
    tenant: Tenant,
    request: SupportRequest,
    author: str,
    body: str,
    now: datetime,
) -> SupportMessage:
    message = SupportMessage(
        id=new_id("support_message"),
        **tenant.row_keys(),
        request_id=request.id,
        author=author,
        body=body,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def _event_fields(request: SupportRequest) -> dict[str, object]:
    return {
        "id": request.id,
        "customer": request.customer_id,
        "category": request.category,
        "subject": request.subject,
        "status": request.status,
        "invoice": request.invoice_id,
        "subscription": request.subscription_id,
        "first_response_at": request.first_response_at,
        "closed_at": request.closed_at,
    }


def _message_data(message: SupportMessage) -> payloads.SupportMessageData:
    return payloads.SupportMessageData(
        id=message.id,
        author=message.author,
        body=message.body,
        created_at=message.created_at,
    )


# Line breaks and tabs belong in a message; other control characters (and NUL, which
# PostgreSQL cannot store) do not.
_KEPT = frozenset("\n\t")


def _body(value: str, pointer: str, errors: list[FieldError]) -> str:
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        errors.append(FieldError(pointer, "must not be empty"))
    elif len(text) > MESSAGE_MAX:
        errors.append(FieldError(pointer, f"must be at most {MESSAGE_MAX} characters"))
    elif any(unicodedata.category(c) == "Cc" and c not in _KEPT for c in text):
        errors.append(FieldError(pointer, "must not contain control characters"))
    return text


def _subject(value: str, errors: list[FieldError]) -> str:
    text = " ".join(value.split())  # one line: it goes into email subjects
    if not text:
        errors.append(FieldError("/subject", "must not be empty"))
    elif len(text) > SUBJECT_MAX:
        errors.append(FieldError("/subject", f"must be at most {SUBJECT_MAX} characters"))
    elif any(unicodedata.category(c) in {"Cc", "Zl", "Zp"} for c in text):
        errors.append(FieldError("/subject", "must not contain control characters"))
    return text
