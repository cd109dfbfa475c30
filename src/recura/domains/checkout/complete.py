"""Completing a checkout: the subscriber confirms, and becomes a customer with a subscription.

1. `confirm`, in a transaction holding the session's row: check the consent and details,
   make or reuse the customer, check the payment method, start the subscription through
   `subscriptions.service.create` (its first invoice issued as for any subscription).
2. The first invoice, if it is to be charged now, goes through the one charge path
   (`collection.charge_now`): recorded and committed, sent with no transaction open,
   its answer recorded.
3. `settle`, in a transaction holding the row again: a subscription that started (paid,
   trialing, nothing to pay, or paying by bank transfer) completes the session and records
   `checkout.session.completed`.

A card charged now starts the subscription `incomplete` (`default_incomplete`): it grants
nothing and welcomes no one until the charge succeeds. When the charge is declined the
session stays open, saying so (`payment.declined`); confirming again with another method
charges the same first invoice again, on the same subscription.

Customers: the merchant's `customer` when it named one, else one customer made by this
checkout, once, however often it is asked (`customer_for`, before the processor's flow,
or `complete`). Never one found by email: an email typed on a public page proves nothing,
and matching on it would put a stranger's subscription on someone else's account.

Every step holds the session's row, so double submits, a back button or two tabs make one
customer and one subscription; completing a completed session returns what it made.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from recura.core.acquisition import channel_of, utm_of
from recura.db.models import CheckoutSession, Customer, Invoice, PaymentMethod, Subscription
from recura.db.unit_of_work import Units
from recura.domains.accounts import service as accounts
from recura.domains.checkout import details as subscriber
from recura.domains.checkout import finishing, repository, service, summary
from recura.domains.common import lookup
from recura.domains.common.errors import ConflictError, NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.customers import billing
from recura.domains.customers import messages as texts
from recura.domains.customers import service as customers
from recura.domains.customers.billing import BillingDetailsInvalid, Problem
from recura.domains.customers.schemas import CustomerAcquisition
from recura.domains.invoices import repository as invoices_repository
from recura.domains.invoices.issuing import SEND_INVOICE
from recura.domains.payments import collection, methods, recovery
from recura.domains.payments import service as payments
from recura.domains.subscriptions import service as subscriptions
from recura.domains.subscriptions.schemas import CollectionMethod

# A subscription in one of these has started: the checkout is done.
STARTED = frozenset({"active", "trialing", "past_due"})


@dataclass(frozen=True, slots=True)
class Completion:
    """Where a confirmation left the checkout. `error` is a message key (`messages.text`)
    when it did not complete: `payment.declined`, `payment.processing`, `checkout.expired`."""

    checkout_id: str
    status: Literal["open", "complete", "expired"]
    error: str | None
    customer_id: str | None
    subscription_id: str | None
    redirect_url: str | None

    def message(self, locale: str) -> str | None:
        return None if self.error is None else texts.text(self.error, locale)


def customer_for(session: Session, tenant: Tenant, checkout_id: str, now: datetime) -> Customer:
    """The checkout's customer, made now from the saved details if it has none: for the
    processor's flow (a Stripe SetupIntent) to attach a method before the subscriber
    confirms. Asked again (a retry, a reload), it gives the same customer."""
    checkout = service.open_for_update(session, tenant, checkout_id, now)
    found = service.saved_details(checkout)
    if found is None:
        raise BillingDetailsInvalid([Problem("/email", "email.required")])
    return _customer(session, tenant, checkout, found, now)


def mark_payment_method(
    session: Session, tenant: Tenant, checkout_id: str, method_id: str, now: datetime
) -> PaymentMethod:
    """The subscriber saved a method through the processor's flow: check it is the
    checkout customer's and record the stage."""
    checkout = service.open_for_update(session, tenant, checkout_id, now)
    if checkout.customer_id is None:
        raise BillingDetailsInvalid([Problem("/payment_method", "payment_method.invalid")])
    customer = customers.get(session, tenant, checkout.customer_id)
    method = _method(session, tenant, customer, method_id, now)
    assert method is not None  # one was named
    service.reach(session, checkout, "payment_method", now)
    return method


def complete(
    units: Units,
    tenant: Tenant,
    checkout_id: str,
    now: datetime,
    *,
    terms_accepted: bool,
    details: Mapping[str, Any] | None = None,
    payment_method_id: str | None = None,
    bank_transfer: bool = False,
) -> Completion:
    """Confirm the checkout: `details` as the form sent them (None: those saved before),
    the payment method the processor's flow attached to `customer_for`'s customer (None:
    the customer's default, or none for what needs none: nothing to pay now, a trial when
    the account lets one start without a method, or `bank_transfer`, where the first
    invoice is sent with the transfer's instructions instead of charged). Raises
    BillingDetailsInvalid for what the subscriber must fix; otherwise returns where the
    checkout is, the same again for a completed one."""
    with units() as session:
        confirmed = confirm(
            session,
            tenant,
            checkout_id,
            now,
            terms_accepted=terms_accepted,
            details=details,
            payment_method_id=payment_method_id,
            bank_transfer=bank_transfer,
        )
    if isinstance(confirmed, Completion):
        return confirmed
    if confirmed:
        # The subscription is on record (committed) before its first invoice is charged.
        with units() as session:
            customer_id = service.get(session, tenant, checkout_id).customer_id
        # An earlier attempt that still waits for the subscriber's bank and cannot be
        # canceled (ConflictError) stops anything new being charged; `settle` says it waits.
        with contextlib.suppress(ConflictError):
            collection.charge_now(
                units,
                lambda s: recovery.start(s, tenant, confirmed, now),
                now,
                customer=(tenant, customer_id) if customer_id else None,
            )
    with units() as session:
        return settle(session, tenant, checkout_id, now)


def confirm(
    session: Session,
    tenant: Tenant,
    checkout_id: str,
    now: datetime,
    *,
    terms_accepted: bool,
    details: Mapping[str, Any] | None,
    payment_method_id: str | None,
    bank_transfer: bool,
) -> Completion | list[str]:
    """Step 1: the checkout's result when there is nothing more to do, else the ids of the
    invoices to charge now (none: nothing to charge)."""
    checkout = service.get_for_update(session, tenant, checkout_id, now)
    if checkout.status != "open":
        return result_of(checkout)
    found = _checked(checkout, details, terms_accepted)
    checkout.details = found.stored()
    service.reach(session, checkout, "details", now)
    if checkout.subscription_id is None:
        sub = _start(session, tenant, checkout, found, payment_method_id, bank_transfer, now)
    else:  # confirmed before and its charge failed: the same subscription, maybe a new method
        customer = customers.get(session, tenant, checkout.customer_id or "")
        if payment_method_id is not None:
            _method(session, tenant, customer, payment_method_id, now)
        sub = subscriptions.get(session, tenant, checkout.subscription_id)
    checkout.terms_accepted_at = now
    service.reach(session, checkout, "confirmed", now)
    checkout.last_error = None
    session.flush()
    return [i.id for i in _first_invoices(session, tenant, sub) if _to_charge(i)]


def _checked(
    checkout: CheckoutSession, details: Mapping[str, Any] | None, terms_accepted: bool
) -> subscriber.SubscriberDetails:
    problems: list[Problem] = []
    if not terms_accepted:
        problems.append(Problem("/terms", "terms.required"))
    found = None
    try:
        found = subscriber.validate(details) if details is not None else None
    except BillingDetailsInvalid as error:
        problems += error.problems
    if details is None:
        found = service.saved_details(checkout)
        if found is None:
            problems.append(Problem("/email", "email.required"))
    billing.raise_if(problems)
    assert found is not None
    return found


def _start(
    session: Session,
    tenant: Tenant,
    checkout: CheckoutSession,
    found: subscriber.SubscriberDetails,
    payment_method_id: str | None,
    bank_transfer: bool,
    now: datetime,
) -> Subscription:
    account = accounts.get_account(session, tenant.account_id)
    if bank_transfer and not account.iban:
        raise BillingDetailsInvalid([Problem("/payment_method", "bank_transfer.unavailable")])
    customer = _customer(session, tenant, checkout, found, now)
    method = _method(session, tenant, customer, payment_method_id, now)
    if method is not None:
        service.reach(session, checkout, "payment_method", now)
    way: CollectionMethod = "send_invoice" if bank_transfer else "charge_automatically"
    quote = summary.summary(session, tenant, checkout, now, collection_method=way)
    trial_needs = quote.trial_end is not None and account.trial_requires_payment_method
    if method is None and not bank_transfer and (quote.pays_now or trial_needs):
        raise BillingDetailsInvalid([Problem("/payment_method", "payment_method.required")])
    data = summary.request_for(
        session,
        tenant,
        checkout,
        customer.id,
        collection_method=way,
        requires_payment=not bank_transfer,
    )
    sub = subscriptions.create(session, tenant, data, now)
    checkout.subscription_id = sub.id
    return sub


def _customer(
    session: Session,
    tenant: Tenant,
    checkout: CheckoutSession,
    found: subscriber.SubscriberDetails,
    now: datetime,
) -> Customer:
    """The checkout's customer with the billing details just given: the merchant's (its
    email left as the merchant knows it), or the one this checkout made, or a new one."""
    if checkout.customer_id is not None:
        update = found.customer_update(email=not checkout.customer_given)
        return customers.update(session, tenant, checkout.customer_id, update, now)
    data = found.customer_create(checkout.locale, checkout.currency)
    # Where the new customer came from, read once from the checkout's link (the rule is in
    # core/acquisition.py); the merchant's own customers keep theirs.
    data = data.model_copy(
        update={
            "acquisition_channel": channel_of(checkout.acquisition),
            "acquisition": CustomerAcquisition(**utm_of(checkout.acquisition)),
        }
    )
    customer = customers.create(session, tenant, data, now)
    checkout.customer_id = customer.id
    return customer


def _method(
    session: Session, tenant: Tenant, customer: Customer, method_id: str | None, now: datetime
) -> PaymentMethod | None:
    """The method to charge: the one named, made the customer's default, which must be
    the customer's and active; or the customer's default when none is named."""
    if method_id is None:
        return methods.default_of(session, tenant, customer)
    method = lookup.find(session, tenant, PaymentMethod, method_id)
    if method is None or method.customer_id != customer.id or method.status != "active":
        raise BillingDetailsInvalid([Problem("/payment_method", "payment_method.invalid")])
    if customer.default_payment_method_id != method.id:
        methods.set_default(session, tenant, method.id, now)
    return method


def _first_invoices(session: Session, tenant: Tenant, sub: Subscription) -> list[Invoice]:
    return invoices_repository.of_subscription(session, tenant, sub.id)


def _to_charge(invoice: Invoice) -> bool:
    return (
        invoice.status == "open"
        and invoice.collection_method != SEND_INVOICE
        and invoice.amount_due - invoice.amount_paid > 0
    )


def settle(session: Session, tenant: Tenant, checkout_id: str, now: datetime) -> Completion:
    """Step 3, and what a page polling a checkout whose charge was pending calls: complete
    the session once its subscription has started, else say why not."""
    checkout = repository.get_for_update(session, tenant, checkout_id)
    if checkout is None:
        raise NotFoundError("checkout session", checkout_id)
    if checkout.status == "complete" or checkout.subscription_id is None:
        return result_of(checkout)
    sub = subscriptions.get(session, tenant, checkout.subscription_id)
    first = next(iter(_first_invoices(session, tenant, sub)), None)
    if sub.status in STARTED:
        # Completed even if the 24 hours ran out while the charge was being answered: the
        # subscriber has paid.
        finishing.finish(session, tenant, checkout, sub, first, now)
    elif checkout.status == "open":
        checkout.last_error = _why_not(session, tenant, first)
        checkout.updated_at = now
    session.flush()
    return result_of(checkout)


def _why_not(session: Session, tenant: Tenant, invoice: Invoice | None) -> str:
    if invoice is None:
        return "payment.processing"
    latest = payments.page(session, tenant, 1, None, invoice=invoice.id).items
    status = latest[0].status if latest else None
    if status == "requires_action":
        return "payment.requires_action"  # the subscriber's bank asks them to confirm
    return "payment.declined" if status == "failed" else "payment.processing"


def result_of(checkout: CheckoutSession) -> Completion:
    status: Literal["open", "complete", "expired"] = checkout.status  # type: ignore[assignment]
    error = checkout.last_error
    if status == "expired":
        error = "checkout.expired"
    return Completion(
        checkout_id=checkout.id,
        status=status,
        error=error if status != "complete" else None,
        customer_id=checkout.customer_id,
        subscription_id=checkout.subscription_id,
        redirect_url=service.success_url_of(checkout) if status == "complete" else None,
    )
