"""What a checkout will bill: exactly the first invoice (lines, discount, VAT, total) and
what renews when, for how much.

Nothing here prices anything itself. The first invoice is `subscriptions.service`'s opening
of the subscription `complete` will start, drafted as `create` issues it; the renewal is
`renewals.renewal` of that opening at the end of its first period (or trial), as the
worker will run it. Before the subscriber is a customer, the opening is made for a customer
not saved, in the checkout's language and currency, as `complete` will create it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from recura.core import lifecycle
from recura.core.invoice_lines import Metered
from recura.core.invoicing import InvoiceDraft, InvoiceInput, build_invoice
from recura.core.periods import Period
from recura.db.models import CheckoutSession, Coupon, Customer, Plan, PromotionCode
from recura.domains.checkout import service
from recura.domains.checkout.details import SubscriberDetails
from recura.domains.common import lookup
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import issuing
from recura.domains.subscriptions import renewals
from recura.domains.subscriptions import service as subscriptions
from recura.domains.subscriptions.schemas import CollectionMethod, SubscriptionCreate
from recura.ids import new_id


@dataclass(frozen=True, slots=True)
class Summary:
    """`first` is the first invoice to the cent, the customer's credit applied (all zeros
    and no lines when none is issued: a trial without a setup fee); `renewal`
    the invoice at `renews_at` for the next period's fees (usage billed in arrears comes on
    top, as used; credit is not counted)."""

    plan: Plan
    currency: str
    first: InvoiceDraft
    period: Period
    trial_end: datetime | None
    renews_at: datetime
    renewal: InvoiceDraft
    interval_unit: str
    interval_count: int
    coupon: Coupon | None
    promotion_code: PromotionCode | None
    metered: bool

    @property
    def pays_now(self) -> bool:
        return self.first.amount_due > 0


def request_for(
    session: Session,
    tenant: Tenant,
    checkout: CheckoutSession,
    customer_id: str,
    *,
    collection_method: CollectionMethod = "charge_automatically",
    requires_payment: bool = False,
) -> SubscriptionCreate:
    """The subscription the checkout starts, as `POST /v1/subscriptions` would be asked."""
    coupon, code = service.discount_of(session, tenant, checkout)
    return SubscriptionCreate(
        customer=customer_id,
        plan=checkout.plan_id,
        quantity=checkout.quantity,
        currency=checkout.currency,
        add_ons=service.add_on_choices(checkout),
        coupon=coupon,
        promotion_code=code,
        collection_method=collection_method,
        payment_behavior="default_incomplete" if requires_payment else "allow_incomplete",
        metadata={"checkout_session": checkout.id},
    )


def customer_of(session: Session, tenant: Tenant, checkout: CheckoutSession) -> Customer:
    """The checkout's customer as completing it leaves it (with the billing details saved,
    which decide its VAT), or the one `complete` would create: never added to the session."""
    details = service.saved_details(checkout)
    if checkout.customer_id is not None:
        found = lookup.require(session, tenant, Customer, checkout.customer_id, "customer")
        if details is None:
            return found
        billed = _billed(details)
        confirmed = (billed["vat_id"], billed["country"]) == (found.vat_id, found.country)
        return Customer(
            id=found.id,
            **tenant.row_keys(),
            locale=found.locale,
            currency=found.currency,
            tax_rate=found.tax_rate,
            test_clock_id=found.test_clock_id,
            default_payment_method_id=found.default_payment_method_id,
            vat_id_validated_at=found.vat_id_validated_at if confirmed else None,
            vat_check=found.vat_check if confirmed else None,
            **billed,
        )
    return Customer(
        id=new_id("customer"),
        **tenant.row_keys(),
        locale=checkout.locale,
        currency=checkout.currency,
        tax_rate=None,
        test_clock_id=None,
        default_payment_method_id=None,
        **({} if details is None else _billed(details)),
    )


def _billed(details: SubscriberDetails) -> dict[str, Any]:
    """What of the details the VAT decision reads (`customers.service` stores them so)."""
    return {
        "country": details.address.country or None,
        "kind": details.kind,
        "vat_id": details.vat_id,
    }


def summary(
    session: Session,
    tenant: Tenant,
    checkout: CheckoutSession,
    now: datetime,
    *,
    collection_method: CollectionMethod = "charge_automatically",
) -> Summary:
    """What completing `checkout` at `now` bills; saves nothing."""
    customer = customer_of(session, tenant, checkout)
    data = request_for(session, tenant, checkout, customer.id, collection_method=collection_method)
    start = subscriptions.opening_for(session, tenant, data, customer, now)
    inputs = start.inputs()
    # A trial without a setup fee bills nothing at first: `create` issues no invoice.
    first = (
        issuing.draft(session, tenant, customer.id, inputs) if inputs.lines else _nothing(inputs)
    )
    renews_at, renewal = _renewal(session, tenant, start)
    sold = start.b.terms
    return Summary(
        plan=sold.plan,
        currency=sold.currency,
        first=first,
        period=start.first,
        trial_end=start.b.sub.trial_end,
        renews_at=renews_at,
        renewal=renewal,
        interval_unit=sold.plan.interval_unit,
        interval_count=sold.plan.interval_count,
        coupon=start.discount[0] if start.discount else None,
        promotion_code=start.discount[1] if start.discount else None,
        metered=bool(sold.metered),
    )


def _nothing(inputs: InvoiceInput) -> InvoiceDraft:
    return InvoiceDraft(
        currency=inputs.currency,
        tax_inclusive=inputs.tax_inclusive,
        lines=(),
        discounts=(),
        subtotal=0,
        discount_total=0,
        tax_lines=(),
        tax_total=0,
        total=0,
        credit_applied=0,
        amount_due=0,
        credit_generated=0,
    )


def _renewal(
    session: Session, tenant: Tenant, start: subscriptions.Opening
) -> tuple[datetime, InvoiceDraft]:
    """The first renewal of the opening's subscription, as `create` would leave it: its
    discount on and, without a trial, one period of it used; started (trialing or active).
    The subscription is the opening's own row, never saved."""
    sub, first = start.b.sub, start.first
    if start.discount is not None:
        subscriptions.put_discount(sub, *start.discount)
        if sub.trial_end is None:
            subscriptions.period_coupon(session, tenant, sub)
    started, _ = lifecycle.start(first.start, first.start, first.end, sub.trial_end, False)
    sub.status = started.status.value
    nothing_used = tuple(
        Metered(term.metric.name, term.spec, Decimal(0), *start.b.terms.tax_class)
        for term in start.b.terms.metered
    )
    _, _, inputs = renewals.renewal(
        session, start.b, start.b, nothing_used, first.end, consume=False
    )
    return first.end, build_invoice(inputs)
