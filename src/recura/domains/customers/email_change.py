"""A subscriber changing their email address in the portal: the request records the new
address and emails a confirmation link to it (`customer.email_change_requested`); the
address changes only when that link is opened by the signed-in customer, once, within
`LIFETIME`. Proving they read the new mailbox keeps a typo, or someone at an unattended
screen, from taking over where receipts and sign-in links go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from recura.db.models import Customer, EmailChange
from recura.domains.common.tenant import Tenant
from recura.domains.customers import billing, repository
from recura.domains.customers import service as customers
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.ids import new_id

LIFETIME = timedelta(hours=24)
EMAIL_LIMIT = 320


def request(
    session: Session, tenant: Tenant, customer: Customer, email: str, now: datetime
) -> EmailChange:
    """Record the request and its event (which emails the link to the new address).
    Raises `BillingDetailsInvalid` (field `/email`) for an empty, invalid or unchanged
    address."""
    typed = email.strip()
    if not typed:
        billing.raise_if([billing.Problem("/email", "email.required")])
    try:
        found = validate_email(typed[:EMAIL_LIMIT], check_deliverability=False).normalized
    except EmailNotValidError:
        found = ""
    if not found or len(typed) > EMAIL_LIMIT:
        billing.raise_if([billing.Problem("/email", "email.invalid")])
    if (customer.email or "").lower() == found.lower():
        billing.raise_if([billing.Problem("/email", "email.unchanged")])
    now = customers.now_for(session, tenant, customer, now)
    change = EmailChange(
        id=new_id("email_change"),
        **tenant.row_keys(),
        customer_id=customer.id,
        email=found,
        expires_at=now + LIFETIME,
        confirmed_at=None,
        created_at=now,
    )
    session.add(change)
    data = payloads.CustomerEmailChangeRequested(
        id=change.id, customer=customer.id, email=found, expires_at=change.expires_at
    )
    events.record(session, tenant, data, now)
    session.flush()
    return change


Refusal = Literal["not_found", "used", "expired"]


@dataclass(frozen=True, slots=True)
class Confirmed:
    customer: Customer
    email: str


def confirm(
    session: Session, tenant: Tenant, customer: Customer, change_id: str, now: datetime
) -> Confirmed | Refusal:
    """Make the requested address the customer's, once: `not_found` for another
    customer's request (or none), `used` when confirmed before, `expired` after
    `LIFETIME`."""
    change = repository.lock_email_change(session, tenant, change_id)
    if change is None or change.customer_id != customer.id:
        return "not_found"
    if change.confirmed_at is not None:
        return "used"
    now = customers.now_for(session, tenant, customer, now)
    if now >= change.expires_at:
        return "expired"
    change.confirmed_at = now
    customer.email = change.email
    customer.updated_at = now
    data = payloads.CustomerUpdated(
        id=customer.id, default_payment_method=customer.default_payment_method_id
    )
    events.record(session, tenant, data, now)
    session.flush()
    return Confirmed(customer, change.email)
