"""What an invoice's settlement (paid, out of band or by a payment; a failed attempt; retries
exhausted) does to its subscription."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy.orm import Session

from recura.core import lifecycle
from recura.db.models import Invoice
from recura.domains.checkout import finishing as checkouts
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers_repository
from recura.domains.customers import service as customers
from recura.domains.invoices import service
from recura.domains.subscriptions import service as subscriptions
from recura.domains.subscriptions import state, terms


def paid_out_of_band(session: Session, tenant: Tenant, invoice_id: str, now: datetime) -> Invoice:
    invoice = service.get_for_update(session, tenant, invoice_id)
    service.mark_paid(session, tenant, invoice, now)
    settle(session, tenant, invoice, now)
    return invoice


def settle(session: Session, tenant: Tenant, invoice: Invoice, now: datetime) -> None:
    """A paid invoice activates an incomplete subscription and recovers a past-due one."""
    _move(session, tenant, invoice, "payment_succeeded", now)


def failed(session: Session, tenant: Tenant, invoice: Invoice, now: datetime) -> None:
    """A failed charge makes an active subscription past due."""
    _move(session, tenant, invoice, "payment_failed", now)


def retries_exhausted(
    session: Session, tenant: Tenant, invoice: Invoice, final_action: str, now: datetime
) -> None:
    """The last retry failed: the account's final action for a past-due subscription."""
    _move(session, tenant, invoice, "retries_exhausted", now, final_action)


def _move(
    session: Session,
    tenant: Tenant,
    invoice: Invoice,
    action: str,
    now: datetime,
    final_action: str | None = None,
) -> None:
    if invoice.subscription_id is None:
        return
    sub = subscriptions.get_for_update(session, tenant, invoice.subscription_id)
    current = state.state_of(sub)
    if current.status not in lifecycle.TRANSITIONS[action]:
        return
    if action == "payment_succeeded" and current.status is lifecycle.Status.ACTIVE:
        # Paid as expected: nothing to activate or recover, and the row is left as it is
        # (every renewal's payment comes here; reading the terms again cost more than it).
        return
    customer = customers_repository.by_key(session, tenant.account_id, sub.customer_id)
    now = customers.now_for(session, tenant, customer, now)
    if action == "payment_succeeded":
        new, happened = lifecycle.payment_succeeded(current, now)
    elif action == "payment_failed":
        new, happened = lifecycle.payment_failed(current, now)
    else:
        final = cast(lifecycle.FinalAction, final_action)
        new, happened = lifecycle.retries_exhausted(current, now, final)
    state.save(session, tenant, sub, new, happened, terms.load(session, tenant, sub), now)
    if current.status is lifecycle.Status.INCOMPLETE and new.status is lifecycle.Status.ACTIVE:
        # Its first payment arrived, however it was learnt: the checkout that made it is done.
        checkouts.subscription_started(session, tenant, sub, now)
