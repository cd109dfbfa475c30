"""The invoices a subscription produces: which lines, for which span, issued once.

Every function here first computes core inputs (`*_inputs`), which previews use as they are,
then `issue` stores them. Period invoices carry the subscription's coupon; proration
invoices are at list price (the coupon discounts whole periods only).

Each line is taxed by the decision of its own tax class (`Item.tax_class`: its rate kind and
supply nature): the plan's for its fee, setup fee and usage, each add-on's for the add-on, so
one invoice can carry 21 % and 11 %, or reverse charge the software and exempt the goods.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Generic
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from typing_extensions import TypeVar

from recura.core.invoice_lines import (
    Metered,
    Wording,
    change_lines,
    fee_lines,
    unused_lines,
    usage_lines,
)
from recura.core.invoicing import DiscountInput, InvoiceInput, LineInput, TaxClass
from recura.core.periods import Period, Schedule
from recura.core.tax import Decision, Nature, RateKind
from recura.db.models import Account, Coupon, Customer, Subscription
from recura.db.records import CustomerLike, SubscriptionLike
from recura.domains.common import languages
from recura.domains.common.fields import trim_zeros
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import issuing, taxes, wording
from recura.domains.invoices import service as invoices
from recura.domains.subscriptions.terms import Terms
from recura.domains.usage import aggregation as usage

CREATE = "subscription_create"
CYCLE = "subscription_cycle"
UPDATE = "subscription_update"
CANCEL = "subscription_cancel"
PAUSE = "subscription_pause"
RESUME = "subscription_resume"


# What a InvoiceBasis is of: the session's Subscription and Customer unless it says otherwise;
# the renewal batch reads records of both, and what serves either takes an `AnyBasis`.
Sub = TypeVar("Sub", bound=SubscriptionLike, covariant=True, default=Subscription)
Cust = TypeVar("Cust", bound=CustomerLike, covariant=True, default=Customer)


@dataclass(frozen=True, slots=True)
class InvoiceBasis(Generic[Sub, Cust]):
    """Everything one subscription's invoices are computed from."""

    account: Account
    customer: Cust
    sub: Sub
    terms: Terms
    # The schedule's anchor when it is not the stored one: the billing on the terms of a
    # change of interval not yet made, whose cycle restarts where it takes effect.
    anchor: datetime | None = None

    @property
    def tenant(self) -> Tenant:
        return Tenant(self.sub.account_id, self.sub.livemode)

    def tax(
        self, at: datetime, kind: RateKind = RateKind.STANDARD, nature: Nature = Nature.ELECTRONIC
    ) -> Decision:
        """The VAT of what of rate kind `kind` and nature `nature` is supplied from `at` (a
        period's start), on that day in the subscription's zone: the one tax decision
        (`invoices.taxes`)."""
        on = at.astimezone(ZoneInfo(self.sub.timezone)).date()
        decided = taxes.decision(self.account, self.customer, on, kind, nature)
        return replace(decided, rate=trim_zeros(decided.rate))

    def taxes(self, at: datetime) -> Taxes:
        """`tax` of every class, for lines of items of different classes."""
        return _Decisions(self, at)

    @property
    def language(self) -> str:
        """The customer's: the lines are worded in it."""
        a = self.account
        return languages.for_customer(self.customer.locale, a.locale, a.fallback_locale)

    @property
    def wording(self) -> Wording:
        return wording.lines(self.language)

    def schedule(self) -> Schedule:
        anchor = self.anchor or self.sub.billing_anchor
        return Schedule(anchor, self.terms.interval, self.sub.timezone)

    def full_period(self, at: datetime) -> Period:
        return self.schedule().period_at(at)[1]

    def current(self) -> Period:
        return Period(self.sub.current_period_start, self.sub.current_period_end)

    def inputs(self, lines: list[LineInput], coupon: Coupon | None = None) -> InvoiceInput:
        return InvoiceInput(
            currency=self.sub.currency,
            lines=tuple(lines),
            discounts=_discounts(coupon, self.sub.currency),
            tax_inclusive=self.account.tax_inclusive,
        )


# A InvoiceBasis of either kind: what the renewal batch and the one-by-one path share take it.
AnyBasis = InvoiceBasis[SubscriptionLike, CustomerLike]

# The decision of each tax class for one supply date.
Taxes = Mapping[TaxClass, Decision]
TAX_CLASSES: tuple[TaxClass, ...] = tuple((k, n) for k in RateKind for n in Nature)


class _Decisions(Mapping[TaxClass, Decision]):
    """`InvoiceBasis.tax` of every class on one date, each decided when first asked for: a
    subscription's lines are mostly of one class, and a billing run decides for thousands."""

    def __init__(self, basis: AnyBasis, at: datetime) -> None:
        self._basis = basis
        self._at = at
        self._made: dict[TaxClass, Decision] = {}

    def __getitem__(self, key: TaxClass) -> Decision:
        found = self._made.get(key)
        if found is None:
            found = self._made[key] = self._basis.tax(self._at, *key)
        return found

    def __iter__(self) -> Iterator[TaxClass]:
        return iter(TAX_CLASSES)

    def __len__(self) -> int:
        return len(TAX_CLASSES)


class _Rates(Mapping[TaxClass, Decimal]):
    """The rate of each class of some decisions, read through as lines ask for them."""

    def __init__(self, found: Taxes) -> None:
        self._found = found

    def __getitem__(self, key: TaxClass) -> Decimal:
        return self._found[key].rate

    def __iter__(self) -> Iterator[TaxClass]:
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)


def _discounts(coupon: Coupon | None, currency: str) -> tuple[DiscountInput, ...]:
    if coupon is None:
        return ()
    if coupon.percent_off is not None:
        return (DiscountInput(f"{coupon.name}", percent_off=Decimal(coupon.percent_off)),)
    for amount in coupon.amounts_off:
        if amount["currency"] == currency:
            return (DiscountInput(coupon.name, amount_off=int(amount["amount"])),)
    return ()


def rates(found: Taxes) -> Mapping[TaxClass, Decimal]:
    """The rate of each class, as core's line functions take them."""
    return _Rates(found)


def taxed(lines: list[LineInput], found: Taxes) -> list[LineInput]:
    """The lines with the decision their rate came from (their class's), for the invoice's
    category and mentions."""
    return [replace(line, tax=found[line.tax_class]) for line in lines]


def advance_lines(b: AnyBasis, span: Period) -> list[LineInput]:
    """Fees paid at the start of `span` (nothing for a plan billed in arrears)."""
    if b.terms.in_arrears:
        return []
    found = b.taxes(span.start)
    return taxed(fee_lines(b.terms.items, span, b.full_period(span.start), rates(found)), found)


def arrears_lines(b: AnyBasis, span: Period, used: tuple[Metered, ...]) -> list[LineInput]:
    """What `span` owes at its end: its usage `used`, and the fees of a plan billed in
    arrears."""
    found = b.taxes(span.start)
    lines = usage_lines(used, span, rates(found), b.wording)
    if b.terms.in_arrears:
        lines = fee_lines(b.terms.items, span, b.full_period(span.start), rates(found)) + lines
    return taxed(lines, found)


def usage_of(
    session: Session, wanted: Sequence[tuple[AnyBasis, Period]]
) -> list[tuple[Metered, ...]]:
    """The metered usage of each (subscription, span): one query per metric and span shared
    by many subscriptions (a worker's batch renews thousands with the same period)."""
    groups: dict[tuple[str, bool, str, Period], list[str]] = defaultdict(list)
    metrics = {}
    for b, span in wanted:
        for charge in b.terms.metered:
            key = (b.sub.account_id, b.sub.livemode, charge.metric.id, span)
            groups[key].append(b.sub.customer_id)
            metrics[charge.metric.id] = charge.metric
    found: dict[tuple[str, bool, str, Period], dict[str, Decimal]] = {}
    for key, customers in groups.items():
        account_id, livemode, metric_id, span = key
        tenant = Tenant(account_id, livemode)
        found[key] = usage.aggregate(
            session, tenant, metrics[metric_id], customers, span.start, span.end
        )
    return [
        tuple(
            Metered(
                charge.metric.name,
                charge.spec,
                found[(b.sub.account_id, b.sub.livemode, charge.metric.id, span)][
                    b.sub.customer_id
                ],
                *b.terms.tax_class,
            )
            for charge in b.terms.metered
        )
        for b, span in wanted
    ]


def arrears(session: Session, b: InvoiceBasis, span: Period) -> list[LineInput]:
    """arrears_lines for one subscription, its usage read now."""
    return arrears_lines(b, span, usage_of(session, [(b, span)])[0])


def unused_credit_lines(b: InvoiceBasis, at: datetime) -> list[LineInput]:
    """Credit for the paid part of the current period after `at` (in-advance plans)."""
    current = b.current()
    if b.terms.in_arrears or not current.start <= at < current.end:
        return []
    # A credit takes back part of the period's charge, at the rate it was charged.
    found = b.taxes(current.start)
    return taxed(unused_lines(b.terms.items, current, at, rates(found), b.wording), found)


def proration_lines(b: InvoiceBasis, new: Terms, at: datetime) -> list[LineInput]:
    # Credit and charge at the current period's rate: it is one supply, changed part way.
    current = b.current()
    found = b.taxes(current.start)
    lines = change_lines(b.terms.items, new.items, current, at, rates(found), b.wording)
    return taxed(lines, found)


def setup_fee_lines(b: InvoiceBasis) -> list[LineInput]:
    fee = b.terms.setup_fee()
    if not fee:
        return []
    description = wording.setup_fee(b.terms.plan.name, b.language)
    kind, nature = b.terms.tax_class
    tax = b.tax(b.sub.current_period_start, kind, nature)
    return [
        LineInput(
            description,
            fee,
            tax_rate=tax.rate,
            tax=tax,
            kind="setup_fee",
            discountable=False,
            plan_id=b.terms.plan.id,
            rate_kind=kind,
            nature=nature,
        )
    ]


def owed_setup_fee_lines(session: Session, b: InvoiceBasis) -> list[LineInput]:
    """The setup fee of `b`'s plan unless the customer was invoiced it before: it is owed once
    per customer and plan, not again on subscribing again or changing back."""
    lines = setup_fee_lines(b)
    if lines and invoices.setup_fee_charged(session, b.tenant, b.customer.id, b.terms.plan.id):
        return []
    return lines


def issue_item(
    b: AnyBasis, reason: str, inputs: InvoiceInput, span: Period | None, now: datetime
) -> issuing.Issue:
    return issuing.Issue(
        tenant=b.tenant,
        account=b.account,
        customer_id=b.sub.customer_id,
        subscription_id=b.sub.id,
        reason=reason,
        inputs=inputs,
        period_start=span.start if span else now,
        period_end=span.end if span else None,
        collection_method=b.sub.collection_method,
    )


def billable(inputs: InvoiceInput) -> bool:
    """An invoice whose every line is zero bills nothing and spends no number."""
    return any(line.amount for line in inputs.lines)


def issue(
    session: Session,
    tenant: Tenant,
    b: InvoiceBasis,
    reason: str,
    inputs: InvoiceInput,
    span: Period | None,
    now: datetime,
) -> str | None:
    """Issue the invoice unless it bills nothing; returns its id."""
    if not billable(inputs):
        return None
    return issuing.issue_many(session, [issue_item(b, reason, inputs, span, now)], now)[0]
