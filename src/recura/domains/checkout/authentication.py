"""The first charge waiting for the subscriber: 3-D Secure.

A card that needs its bank's confirmation answers the first charge with `requires_action`
(Stripe declines it off-session with `authentication_required`). The checkout stays open
and says so (`payment.requires_action`); its page asks the processor, through the one
charge path (`collection.ask_about`, no transaction open), how the charge stands and hands
the PaymentIntent's secret to Stripe.js, which takes the subscriber through the bank's
challenge; back from it, the page asks again and records the answer like any other. A
success activates the subscription, and so completes the checkout
(`finishing.subscription_started`); a failure leaves it open with `payment.declined`, to
confirm again with another method.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import Payment
from recura.db.unit_of_work import Units
from recura.domains.checkout import complete, finishing, service
from recura.domains.checkout.complete import Completion
from recura.domains.common.tenant import Tenant
from recura.domains.payments import collection
from recura.domains.payments import repository as payments_repository
from recura.domains.payments import service as payments
from recura.domains.subscriptions import service as subscriptions


@dataclass(frozen=True, slots=True)
class Action:
    """What Stripe.js needs to take the subscriber through the bank's challenge."""

    client_secret: str
    payment_method: str  # the processor's id of the method charged


def latest_payment(session: Session, tenant: Tenant, checkout_id: str) -> Payment | None:
    """The latest attempt at the checkout's first invoice, if there is one."""
    checkout = service.get(session, tenant, checkout_id)
    if checkout.subscription_id is None:
        return None
    sub = subscriptions.get(session, tenant, checkout.subscription_id)
    first = finishing.first_invoice(session, tenant, sub)
    if first is None:
        return None
    found = payments.page(session, tenant, 1, None, invoice=first.id).items
    return found[0] if found else None


def resume(
    units: Units, tenant: Tenant, checkout_id: str, now: datetime
) -> tuple[Completion, Action | None]:
    """Where the checkout is after asking the processor about its waiting first charge, and
    what the subscriber's browser needs while the charge still waits for them."""
    with units() as session:
        payment = latest_payment(session, tenant, checkout_id)
        waiting = payment is not None and payment.status in collection.WAITING
        payment_id = payment.id if payment is not None else ""
        method_id = payment.payment_method_id if payment is not None else None
        method = (
            payments_repository.method_by_key(session, tenant.account_id, method_id)
            if waiting and method_id
            else None
        )
        reference = method.reference if method is not None else None
    answer = collection.ask_about(units, tenant, payment_id, now) if waiting else None
    with units() as session:
        done = complete.settle(session, tenant, checkout_id, now)
    action = None
    if (
        done.status == "open"
        and answer is not None
        and answer.status == "requires_action"
        and answer.client_secret
        and reference
    ):
        action = Action(answer.client_secret, reference)
    return done, action
