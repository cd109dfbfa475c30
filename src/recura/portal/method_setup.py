"""Taking a new payment method, shared by the emailed "update payment method" page and the
signed-in portal's payment methods: the connected processor's own way (the sandbox's test
cards, Stripe.js's card element with a SetupIntent, PayPal's approval), then saving it and
charging the overdue invoices on it at once, through the one charge path."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import Request
from sqlalchemy.orm import Session

from recura.db.models import Customer, Payment, PaymentMethod
from recura.db.unit_of_work import units_on
from recura.domains.common.errors import DomainError
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import repository as invoices_repository
from recura.domains.payments import collection, methods, processors, recovery
from recura.gateways.base import GatewayError
from recura.notifications import rendering
from recura.portal import pages

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Offer:
    """How a page takes a new method: `kind` is the processor, or `unavailable`."""

    kind: str
    test_tokens: tuple[str, ...] = ()
    client_secret: str | None = None
    publishable_key: str | None = None
    approve_url: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one step (the method saved, an overdue invoice's charge): a text key
    of the `portal` catalog and its values."""

    key: str
    values: dict[str, str] = field(default_factory=dict)


def offer(
    session: Session, request: Request, tenant: Tenant, customer_id: str, return_path: str
) -> Offer:
    """Start the processor's flow for the customer; PayPal sends the subscriber back to
    `return_path` (on the app's public address)."""
    try:
        name = processors.default_gateway(session, tenant)
        publishable_key = None
        if name == "stripe":
            connection = processors.connection(session, tenant, "stripe")
            publishable_key = connection.config.get("publishable_key") if connection else None
            if not publishable_key:
                return Offer("unavailable")  # Stripe.js cannot start without it
        return_url = request.app.state.settings.public_url.rstrip("/") + return_path
        name, setup = methods.start_setup(session, tenant, customer_id, name, return_url)
    except (DomainError, GatewayError):
        log.exception("no way to take a payment method for customer %s", customer_id)
        return Offer("unavailable")
    return Offer(
        name,
        test_tokens=setup.test_tokens,
        client_secret=setup.client_secret,
        publishable_key=publishable_key,
        approve_url=setup.approve_url,
    )


def save_and_charge(
    session: Session,
    tenant: Tenant,
    customer: Customer,
    method_token: str,
    locale: str,
    now: datetime,
    *,
    make_default: bool = True,
) -> tuple[Outcome, ...] | None:
    """Save the method the processor's flow gave `method_token` for; as the new default,
    charge the overdue invoices on it at once. None when the processor refused it.

    The method is committed before the invoices are charged (`charge_now` commits the
    session's unit of work first), so a charge's outcome never undoes it."""
    try:
        name = processors.default_gateway(session, tenant)
        method = methods.attach(session, tenant, customer.id, name, method_token, make_default, now)
    except DomainError as error:
        log.info("customer %s: payment method not saved: %s", customer.id, error.detail)
        return None
    described = {"method": pages.describe(method, locale)}
    if customer.default_payment_method_id != method.id:
        return (Outcome("methods.added", described),)
    saved = [Outcome("payment.saved", described)]
    paid = collection.charge_now(
        units_on(session),
        lambda s: recovery.start_overdue(s, tenant, customer.id, now),
        now,
        customer=(tenant, customer.id),
    )
    return tuple(saved + [outcome(session, payment, locale) for payment in paid])


def outcome(session: Session, payment: Payment, locale: str) -> Outcome:
    """What became of a charge of an invoice, as the subscriber reads it."""
    invoice = invoices_repository.by_key(session, payment.account_id, payment.invoice_id)
    values = {
        "number": invoice.number or invoice.id,
        "amount": rendering.money(payment.amount, payment.currency, locale),
    }
    key = {"succeeded": "payment.paid", "failed": "payment.declined"}.get(payment.status)
    return Outcome(key or "payment.processing", values)


def describe_all(found: list[PaymentMethod], locale: str) -> dict[str, str]:
    """Each method as the subscriber reads it, by id."""
    return {method.id: pages.describe(method, locale) for method in found}
