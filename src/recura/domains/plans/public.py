"""The catalog as a pricing page shows it: each product's plans as offers, a monthly plan next
to its yearly twin (`core.plan_pairs`) with what the year saves, prices in one currency at
the smallest quantity a plan sells, VAT as the account's prices are, trials, setup fees,
usage charges, and the features each plan grants. The same data backs the page and its JSON.
Each option carries the VAT rate of its plan's rate kind and supply nature: a newspaper's
plan at the reduced rate sits beside the standard one the page states for all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from recura.core import plan_pairs, pricing
from recura.core.invoicing import TaxClass
from recura.core.pricing import PricingModel
from recura.core.tax import Nature, RateKind
from recura.db.models import Account, Feature, Plan, PlanVersion
from recura.domains.common.fields import trim_zeros
from recura.domains.common.prices import PriceIn, to_spec
from recura.domains.common.tenant import Tenant
from recura.domains.features import repository as features
from recura.domains.invoices import taxes
from recura.domains.plans import repository as plans
from recura.domains.products import repository as products

# Priced per unit: the page says "per seat" (from the smallest quantity a plan sells).
_PER_UNIT = {PricingModel.PER_UNIT, PricingModel.GRADUATED, PricingModel.VOLUME}
_TIERED = {PricingModel.GRADUATED, PricingModel.VOLUME}


@dataclass(frozen=True, slots=True)
class Option:
    """One way to pay for an offer: a plan, its interval and its price in one currency."""

    plan_id: str
    plan_name: str
    interval: str
    interval_count: int
    currency: str
    amount: int  # for `quantity` units, in minor units
    quantity: Decimal  # the fewest units the plan sells
    per_unit: bool  # priced per seat (unit): more seats cost more
    tiered: bool  # the unit price falls with more units
    setup_fee: int
    trial_days: int
    usage: tuple[str, ...]  # the billable metrics charged on top, by name
    tax_rate: Decimal = Decimal(0)  # the VAT rate of the plan's rate kind, in percent


@dataclass(frozen=True, slots=True)
class Grant:
    name: str
    kind: str  # boolean, limit, metered
    limit: int | None = None  # None: unlimited


@dataclass(frozen=True, slots=True)
class Offer:
    name: str
    description: str | None
    monthly: Option | None
    yearly: Option | None
    grants: tuple[Grant, ...]
    highlighted: bool
    saving: int  # whole percent the yearly option saves on twelve months

    @property
    def options(self) -> tuple[Option, ...]:
        return tuple(o for o in (self.monthly, self.yearly) if o is not None)

    @property
    def free(self) -> bool:
        return all(o.amount == 0 and not o.usage for o in self.options)


@dataclass(frozen=True, slots=True)
class ProductOffers:
    id: str
    name: str
    description: str | None
    offers: tuple[Offer, ...]


@dataclass(frozen=True, slots=True)
class Catalog:
    currency: str
    currencies: tuple[str, ...]
    tax_inclusive: bool
    tax_rate: Decimal
    products: tuple[ProductOffers, ...] = field(default=())


def currencies(session: Session, tenant: Tenant) -> tuple[str, ...]:
    """Every currency some active plan is priced in, sorted."""
    found = plans.current_versions(session, tenant, [p.id for p in plans.active(session, tenant)])
    return tuple(sorted({p["currency"] for v in found.values() for p in v.prices}))


def catalog(
    session: Session, tenant: Tenant, account: Account, wanted: list[str], on: date
) -> Catalog:
    """The catalog in the first currency of `wanted` some plan is priced in (else the
    account's, else any), with the VAT rate in force on `on`."""
    active_plans = plans.active(session, tenant)
    versions = plans.current_versions(session, tenant, [p.id for p in active_plans])
    priced = sorted({p["currency"] for v in versions.values() for p in v.prices})
    currency = next(
        (c for c in [*wanted, account.default_currency] if c in priced),
        priced[0] if priced else account.default_currency,
    )
    sold = _Sold(
        versions,
        plans.charges(session, tenant, [v.id for v in versions.values()]),
        _grants_by_plan(session, tenant, [p.id for p in active_plans]),
        currency,
        account.pricing_highlight_plan_id,
        _visitor_rates(account, on, active_plans),
    )
    by_product: dict[str, list[Plan]] = {}
    for plan in active_plans:
        if plan.id in versions:
            by_product.setdefault(plan.product_id, []).append(plan)
    shown = []
    for product in products.active(session, tenant):
        offers = sold.offers(by_product.get(product.id, []))
        if offers:
            shown.append(ProductOffers(product.id, product.name, product.description, offers))
    rate = sold.rates[_STATED]
    return Catalog(currency, tuple(priced), account.tax_inclusive, rate, tuple(shown))


# The class whose rate the page states for all: what a plan sells unless it says otherwise.
_STATED: TaxClass = (RateKind.STANDARD, Nature.ELECTRONIC)


def _class(plan: Plan) -> TaxClass:
    return (RateKind(plan.tax_rate_kind), Nature(plan.supply_nature))


def _visitor_rates(account: Account, on: date, sold: list[Plan]) -> dict[TaxClass, Decimal]:
    """The rates a visitor not known yet pays, a consumer in the seller's country, of the
    classes the plans sell and the one stated for all."""
    wanted = {_STATED, *(_class(p) for p in sold)}
    return {c: trim_zeros(taxes.decision(account, taxes.ANYONE, on, *c).rate) for c in wanted}


def twin(session: Session, tenant: Tenant, plan: Plan) -> Plan | None:
    """`plan`'s monthly or yearly twin, as the pricing page pairs them; None without one."""
    product_plans = plans.of_product(session, tenant, plan.product_id)
    grants = _grants_by_plan(session, tenant, [p.id for p in product_plans])
    facts = [
        plan_pairs.PlanFacts(
            p.id, p.code, _interval(p), frozenset(k for k, _ in grants.get(p.id, []))
        )
        for p in product_plans
    ]
    named = {p.id: p for p in product_plans}
    for monthly, yearly in plan_pairs.pair(facts):
        if monthly is not None and yearly is not None and plan.id in (monthly.id, yearly.id):
            return named[yearly.id if plan.id == monthly.id else monthly.id]
    return None


def _grants_by_plan(
    session: Session, tenant: Tenant, plan_ids: list[str]
) -> dict[str, list[tuple[tuple[str, str], Grant]]]:
    """Each plan's grants, with a key that compares them between plans."""
    found: dict[str, list[tuple[tuple[str, str], Grant]]] = {}
    if not plan_ids:
        return found
    for grant, feature in features.grants_of_owners(session, tenant, plan_ids, []):
        if grant.plan_id is not None:
            key = (feature.id, json.dumps(grant.value))
            found.setdefault(grant.plan_id, []).append((key, _grant(feature, grant.value)))
    return found


@dataclass(frozen=True, slots=True)
class _Sold:
    versions: dict[str, PlanVersion]
    charges: dict[str, list[Any]]
    grants: dict[str, list[tuple[tuple[str, str], Grant]]]
    currency: str
    highlight: str | None
    rates: dict[TaxClass, Decimal]

    def offers(self, product_plans: list[Plan]) -> tuple[Offer, ...]:
        named = {p.id: p for p in product_plans}
        facts = [
            plan_pairs.PlanFacts(
                p.id, p.code, _interval(p), frozenset(k for k, _ in self.grants.get(p.id, []))
            )
            for p in product_plans
        ]
        offers = []
        for monthly, yearly in plan_pairs.pair(facts):
            month = self.option(named[monthly.id]) if monthly else None
            year = self.option(named[yearly.id]) if yearly else None
            if month is None and year is None:
                continue  # not sold in this currency
            first = named[(month or year).plan_id]  # type: ignore[union-attr]
            saving = 0
            if month and year and month.quantity == year.quantity:
                saving = plan_pairs.yearly_saving(month.amount, year.amount)
            offers.append(
                Offer(
                    name=first.name,
                    description=first.description,
                    monthly=month,
                    yearly=year,
                    grants=tuple(g for _, g in self.grants.get(first.id, [])),
                    highlighted=self.highlight in {o.plan_id for o in (month, year) if o},
                    saving=saving,
                )
            )
        return tuple(offers)

    def option(self, plan: Plan) -> Option | None:
        version = self.versions[plan.id]
        model = PricingModel(version.pricing_model)
        quantity = max(version.min_quantity or Decimal(1), Decimal(1))
        amount = 0
        if model is not PricingModel.FREE:
            raw = next((p for p in version.prices if p["currency"] == self.currency), None)
            if raw is None:
                return None
            price = PriceIn.model_validate(raw)
            spec = to_spec(model, price, version.min_quantity, version.max_quantity)
            if model is PricingModel.PACKAGE:
                quantity = Decimal(spec.package_size)
            amount = pricing.price(spec, quantity).total.minor
        fees = version.setup_fees
        return Option(
            plan_id=plan.id,
            plan_name=plan.name,
            interval=_interval(plan),
            interval_count=plan.interval_count,
            currency=self.currency,
            amount=amount,
            quantity=quantity,
            per_unit=model in _PER_UNIT,
            tiered=model in _TIERED,
            setup_fee=next((f["amount"] for f in fees if f["currency"] == self.currency), 0),
            trial_days=plan.trial_days,
            usage=tuple(metric.name for _, metric in self.charges.get(version.id, [])),
            tax_rate=self.rates[_class(plan)],
        )


def _interval(plan: Plan) -> str:
    if plan.interval_count == 1 and plan.interval_unit in ("month", "year"):
        return plan.interval_unit
    return f"{plan.interval_count} {plan.interval_unit}"


def _grant(feature: Feature, value: Any) -> Grant:
    if feature.kind == "boolean":
        return Grant(feature.name, feature.kind)
    return Grant(feature.name, feature.kind, limit=None if value is None else int(value))
