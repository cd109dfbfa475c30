"""A subscription's commercial terms, loaded once and turned into core's priced items."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from sqlalchemy.orm import Session

from recura.core.invoice_lines import Item, item_amount, monthly_amount
from recura.core.invoicing import TaxClass
from recura.core.periods import Interval, IntervalUnit
from recura.core.pricing import PriceSpec, PricingError, validate_spec
from recura.core.tax import Nature, RateKind
from recura.db.models import (
    AddOn,
    BillableMetric,
    MeteredCharge,
    Plan,
    PlanVersion,
    Subscription,
)
from recura.domains.common.errors import invalid
from recura.domains.common.prices import stored_spec, within_limit
from recura.domains.common.tenant import Tenant
from recura.domains.plans import repository as plans
from recura.domains.subscriptions import repository

PLAN_KEY = "plan"


@dataclass(frozen=True, slots=True)
class MeteredTerm:
    charge: MeteredCharge
    metric: BillableMetric
    spec: PriceSpec


@dataclass(frozen=True, slots=True)
class Terms:
    """What a subscription sells for one period: the plan and add-ons, and metered charges."""

    plan: Plan
    version: PlanVersion
    currency: str
    quantity: Decimal
    add_ons: tuple[tuple[AddOn, Decimal], ...]
    items: tuple[Item, ...]
    metered: tuple[MeteredTerm, ...]

    @property
    def interval(self) -> Interval:
        return _interval(self.plan.interval_unit, self.plan.interval_count)

    @property
    def rate_kind(self) -> RateKind:
        """The plan's VAT rate kind: its fees, setup fee and metered charges are taxed so."""
        return RateKind(self.plan.tax_rate_kind)

    @property
    def nature(self) -> Nature:
        """The plan's supply nature: its fees, setup fee and metered charges are sold so."""
        return Nature(self.plan.supply_nature)

    @property
    def tax_class(self) -> TaxClass:
        return (self.rate_kind, self.nature)

    @property
    def in_arrears(self) -> bool:
        return self.plan.billing_timing == "in_arrears"

    def period_amount(self) -> int:
        return sum(item_amount(item) for item in self.items)

    def mrr(self) -> int:
        return monthly_amount(self.period_amount(), self.interval)

    def setup_fee(self) -> int:
        fees = [f["amount"] for f in self.version.setup_fees if f["currency"] == self.currency]
        return int(fees[0]) if fees else 0

    def add_on_quantities(self) -> list[dict[str, str]]:
        return [{"add_on": a.id, "quantity": str(q)} for a, q in self.add_ons]


@lru_cache(maxsize=64)
def _interval(unit: str, count: int) -> Interval:
    return Interval(IntervalUnit(unit), count)


def build(
    session: Session,
    tenant: Tenant,
    plan: Plan,
    version: PlanVersion,
    currency: str,
    quantity: Decimal,
    add_ons: list[tuple[AddOn, Decimal]],
    pointer: str = "",
) -> Terms:
    """Terms for these choices; a price missing in `currency` or a quantity outside the
    plan's bounds is a 422 at `pointer`."""
    spec = stored_spec(
        version.pricing_model, version.prices, currency, version.min_quantity, version.max_quantity
    )
    if spec is None:
        offered = ", ".join(p["currency"] for p in version.prices)
        raise invalid(f"{pointer}/plan", f"plan '{plan.id}' is priced in {offered}, not {currency}")
    sold = (RateKind(plan.tax_rate_kind), Nature(plan.supply_nature))
    items = [
        _item(PLAN_KEY, plan.name, spec, quantity, "subscription", sold, f"{pointer}/quantity")
    ]
    for index, (add_on, add_on_quantity) in enumerate(add_ons):
        add_on_spec = stored_spec(add_on.pricing_model, add_on.prices, currency)
        here = f"{pointer}/add_ons/{index}"
        if add_on_spec is None:
            raise invalid(f"{here}/add_on", f"add-on '{add_on.id}' has no {currency} price")
        key = f"add_on:{add_on.id}"
        add_on_sold = (RateKind(add_on.tax_rate_kind), Nature(add_on.supply_nature))
        items.append(
            _item(key, add_on.name, add_on_spec, add_on_quantity, "add_on", add_on_sold, here)
        )
    metered = []
    for charge, metric in plans.charges(session, tenant, [version.id]).get(version.id, []):
        charge_spec = stored_spec(charge.pricing_model, charge.prices, currency)
        if charge_spec is None:
            raise invalid(f"{pointer}/plan", f"the {metric.code} charge has no {currency} price")
        metered.append(MeteredTerm(charge, metric, charge_spec))
    return Terms(
        plan=plan,
        version=version,
        currency=currency,
        quantity=quantity,
        add_ons=tuple(add_ons),
        items=tuple(items),
        metered=tuple(metered),
    )


def _item(
    key: str,
    name: str,
    spec: PriceSpec,
    quantity: Decimal,
    kind: str,
    sold: TaxClass,
    pointer: str,
) -> Item:
    item = Item(key, name, spec, quantity, kind, *sold)
    try:
        validate_spec(spec)
        amount = item_amount(item)
    except PricingError as exc:
        raise invalid(pointer, exc.message) from None
    within_limit(amount, pointer)
    return item


def load(session: Session, tenant: Tenant, sub: Subscription) -> Terms:
    """The terms a stored subscription bills on now."""
    plan = plans.plan_by_key(session, tenant.account_id, sub.plan_id)
    version = plans.version_by_key(session, tenant.account_id, sub.plan_version_id)
    add_ons = [
        (add_on, Decimal(quantity))
        for add_on, quantity in repository.add_ons_with_quantities(session, tenant, sub.id)
    ]
    return build(session, tenant, plan, version, sub.currency, Decimal(sub.quantity), add_ons)
