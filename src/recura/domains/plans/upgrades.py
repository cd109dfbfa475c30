"""What a subscriber would get on a higher plan: the other plans of the same product,
billed on the same interval, that cost more in the subscription's currency, with the
features they add or raise over the current plan. Read-only: nothing is saved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from recura.core.pricing import PricingError, price
from recura.db.models import Feature, FeatureGrant, PlanVersion
from recura.domains.common.prices import stored_spec
from recura.domains.common.tenant import Tenant
from recura.domains.features import repository as features
from recura.domains.plans import repository
from recura.domains.subscriptions import service as subscriptions


@dataclass(frozen=True, slots=True)
class Gain:
    """A feature the higher plan adds (`before` None: not granted now) or raises. Values
    as grants hold them: a bool for a switch, a number or None (unlimited) for a limit."""

    feature_id: str
    code: str
    name: str
    kind: str
    value: Any
    before: Any
    added: bool


@dataclass(frozen=True, slots=True)
class HigherPlan:
    plan_id: str
    code: str
    name: str
    description: str | None
    currency: str
    amount: int  # per period, for the subscription's quantity, in minor units
    more_than_now: int  # amount minus what the current plan costs
    gains: list[Gain]


def higher_plans(session: Session, tenant: Tenant, subscription_id: str) -> list[HigherPlan]:
    """The plans above the subscription's, cheapest first (404 for another tenant's
    subscription). Prices are each plan's current version's base price for the
    subscription's quantity; the current plan counts at the version the subscription pays."""
    sub = subscriptions.get(session, tenant, subscription_id)
    current = repository.get_plan(session, tenant, sub.plan_id)
    assert current is not None  # a subscription's plan exists
    now_version = repository.version_by_key(session, tenant.account_id, sub.plan_version_id)
    now_amount = _amount(now_version, sub.currency, sub.quantity)
    if now_amount is None:
        return []
    candidates = [
        plan
        for plan in repository.same_product_and_interval(session, tenant, current)
        if plan.id != current.id
    ]
    versions = repository.current_versions(session, tenant, [p.id for p in candidates])
    priced = []
    for plan in candidates:
        version = versions.get(plan.id)
        amount = _amount(version, sub.currency, sub.quantity) if version else None
        if amount is not None and amount > now_amount:
            priced.append((plan, amount))
    if not priced:
        return []
    grants = features.grants_of_owners(
        session, tenant, [current.id, *(p.id for p, _ in priced)], []
    )
    by_plan: dict[str, list[tuple[FeatureGrant, Feature]]] = {}
    for grant, feature in grants:
        by_plan.setdefault(grant.plan_id or "", []).append((grant, feature))
    now_grants = {g.feature_id: g.value for g, _ in by_plan.get(current.id, [])}
    found = [
        HigherPlan(
            plan_id=plan.id,
            code=plan.code,
            name=plan.name,
            description=plan.description,
            currency=sub.currency,
            amount=amount,
            more_than_now=amount - now_amount,
            gains=_gains(by_plan.get(plan.id, []), now_grants),
        )
        for plan, amount in priced
    ]
    return sorted(found, key=lambda p: (p.amount, p.plan_id))


def _amount(version: PlanVersion, currency: str, quantity: Decimal) -> int | None:
    spec = stored_spec(
        version.pricing_model, version.prices, currency, version.min_quantity, version.max_quantity
    )
    if spec is None:
        return None  # not sold in the subscription's currency
    try:
        return price(spec, quantity).total.minor
    except PricingError:
        return None  # not sold for this quantity


def _gains(grants: Sequence[tuple[FeatureGrant, Feature]], now: dict[str, Any]) -> list[Gain]:
    gains = []
    for grant, feature in grants:
        had = feature.id in now
        before = now.get(feature.id)
        if had and not _more(feature.kind, grant.value, before):
            continue
        if not had and feature.kind == "boolean" and grant.value is not True:
            continue  # "off" adds nothing
        gains.append(
            Gain(
                feature_id=feature.id,
                code=feature.code,
                name=feature.name,
                kind=feature.kind,
                value=grant.value,
                before=before,
                added=not had,
            )
        )
    return gains


def _more(kind: str, value: Any, before: Any) -> bool:
    """Whether `value` grants more than `before`: on over off, unlimited (None) over any
    limit, a higher limit over a lower one."""
    if kind == "boolean":
        return value is True and before is not True
    if before is None:
        return False  # unlimited already
    return value is None or value > before
