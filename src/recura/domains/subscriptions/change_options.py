"""What a subscriber may pick when changing a subscription in the portal, and the renewal
a change waiting for the period end will bill. Read-only: nothing is saved.

The choices are the plans of the subscription's product on its interval, priced in its
currency, the same plan billed on the other interval (its monthly or yearly twin, paired as
the pricing page pairs them) with what the year saves, and the account's add-ons priced in
it; the page then asks
`changes.preview_change` for the exact invoice, the same code `changes.change` runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy.orm import Session

from recura.core import plan_pairs
from recura.core.invoicing import InvoiceDraft
from recura.core.pricing import PricingError, price
from recura.db.models import AddOn, Plan, Subscription
from recura.domains.add_ons import repository as add_ons_repository
from recura.domains.common.prices import stored_spec
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import issuing
from recura.domains.plans import public
from recura.domains.plans import repository as plans
from recura.domains.subscriptions import intervals, invoicing, renewals, repository
from recura.domains.subscriptions.changes import PlannedChange

# Seats are asked for only where the price depends on them.
BY_QUANTITY = ("per_unit", "tiered_graduated", "tiered_volume", "package")


@dataclass(frozen=True, slots=True)
class PlanChoice:
    plan: Plan
    # One period's price for the subscription's seats (None: not sold for that many).
    amount: int | None
    min_quantity: Decimal | None
    max_quantity: Decimal | None
    by_quantity: bool
    current: bool
    # The current plan's twin on the other interval (monthly <-> yearly).
    other_interval: bool = False
    # Whole percent a year of this yearly plan saves on twelve months of its twin (0: none).
    saving: int = 0


@dataclass(frozen=True, slots=True)
class AddOnChoice:
    add_on: AddOn
    unit_amount: int  # for a quantity of one, per period
    quantity: Decimal  # chosen now (0: not chosen)


@dataclass(frozen=True, slots=True)
class ChangeOptions:
    currency: str
    quantity: Decimal
    plans: list[PlanChoice]
    add_ons: list[AddOnChoice]

    @property
    def asks_seats(self) -> bool:
        return self.quantity != 1 or any(p.by_quantity for p in self.plans)


def options(session: Session, tenant: Tenant, sub: Subscription) -> ChangeOptions:
    current = plans.plan_by_key(session, tenant.account_id, sub.plan_id)
    candidates = [
        p for p in plans.same_product_and_interval(session, tenant, current) if p.id != current.id
    ]
    twin = public.twin(session, tenant, current)
    if twin is not None:
        candidates.append(twin)
    versions = plans.current_versions(session, tenant, [p.id for p in candidates])
    versions[current.id] = plans.version_by_key(session, tenant.account_id, sub.plan_version_id)
    choices = []
    for plan in [current, *candidates]:
        version = versions.get(plan.id)
        if version is None:
            continue
        spec = stored_spec(
            version.pricing_model,
            version.prices,
            sub.currency,
            version.min_quantity,
            version.max_quantity,
        )
        if spec is None:
            continue  # not sold in the subscription's currency
        try:
            amount: int | None = price(spec, sub.quantity).total.minor
        except PricingError:
            amount = None
        choices.append(
            PlanChoice(
                plan=plan,
                amount=amount,
                min_quantity=version.min_quantity,
                max_quantity=version.max_quantity,
                by_quantity=version.pricing_model in BY_QUANTITY,
                current=plan.id == current.id,
                other_interval=twin is not None and plan.id == twin.id,
            )
        )
    choices = _with_saving(choices)
    chosen = {
        add_on.id: quantity
        for _, quantity, add_on in repository.chosen_add_ons(session, tenant.account_id, [sub.id])
    }
    add_ons = []
    for add_on in add_ons_repository.offered(session, tenant):
        spec = stored_spec(add_on.pricing_model, add_on.prices, sub.currency)
        if spec is None:
            continue
        try:
            unit = price(spec, Decimal(1)).total.minor
        except PricingError:
            continue
        add_ons.append(AddOnChoice(add_on, unit, chosen.get(add_on.id, Decimal(0))))
    return ChangeOptions(sub.currency, sub.quantity, choices, add_ons)


def _with_saving(choices: list[PlanChoice]) -> list[PlanChoice]:
    """The yearly one of the current plan and its twin marked with what it saves, for the
    subscription's seats."""
    pair = [c for c in choices if c.current or c.other_interval]
    yearly = next((c for c in pair if c.plan.interval_unit == "year"), None)
    monthly = next((c for c in pair if c.plan.interval_unit == "month"), None)
    if yearly is None or monthly is None or monthly.amount is None or yearly.amount is None:
        return choices  # no twin, or one not sold for the subscription's seats
    saving = plan_pairs.yearly_saving(monthly.amount, yearly.amount)
    return [replace(c, saving=saving) if c is yearly else c for c in choices]


def next_renewal(session: Session, planned: PlannedChange) -> InvoiceDraft:
    """The renewal invoice a change scheduled for the period end will bill first: the
    closing period on the present terms, the next on the new ones (what
    `upcoming.invoice` will show once the change is scheduled)."""
    closing = planned.basis
    moved = intervals.moved(closing, planned.new, planned.effective_at)
    used = invoicing.usage_of(session, [(closing, closing.current())])[0]
    _, _, inputs = renewals.renewal(
        session, moved, closing, used, closing.sub.current_period_end, consume=False
    )
    return issuing.draft(session, moved.tenant, closing.sub.customer_id, inputs)
