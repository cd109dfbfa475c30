"""What the portal's overview shows: each subscription as the subscriber sees it (plan,
status, seats, add-ons, what the next charge will be and when, a trial's end, a change or
cancellation to come) and the benefits they have now, with their usage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from recura.core.invoicing import InvoiceDraft
from recura.db.models import Subscription
from recura.domains.common.errors import NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.entitlements import service as entitlements
from recura.domains.features import repository as features
from recura.domains.plans import repository as plans
from recura.domains.subscriptions import repository as subscriptions_repository
from recura.domains.subscriptions import service as subscriptions
from recura.domains.subscriptions import upcoming
from recura.web.kept import Kept

SHOWN = 20
# The next invoice projected for a subscription as it stands (any change to it is a new
# key): usage since shows within this time.
PROJECTIONS: Kept[InvoiceDraft | None] = Kept(60.0)
LIVE = ("trialing", "active", "past_due", "paused", "unpaid")


@dataclass(frozen=True, slots=True)
class NextCharge:
    at: datetime
    amount: int
    currency: str


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    subscription: Subscription
    plan_name: str
    add_ons: list[tuple[str, Decimal]]
    next_charge: NextCharge | None
    pending_plan: str | None


@dataclass(frozen=True, slots=True)
class Benefit:
    name: str
    kind: str
    value: bool | None = None
    limit: int | None = None
    used: Decimal | None = None
    period_end: datetime | None = None


def subscriptions_of(
    session: Session, tenant: Tenant, customer_id: str, now: datetime
) -> list[SubscriptionView]:
    found = subscriptions.page(session, tenant, SHOWN, None, customer=customer_id).items
    shown = [s for s in found if s.status in LIVE or s.status == "canceled"]
    plan_keys = {(tenant.account_id, s.plan_id) for s in shown}
    for s in shown:
        pending = (s.pending_change or {}).get("plan")
        if pending:
            plan_keys.add((tenant.account_id, pending))
    names = {key[1]: plan.name for key, plan in plans.plans_by_key(session, plan_keys).items()}
    add_ons: dict[str, list[tuple[str, Decimal]]] = {}
    for sub_id, quantity, add_on in subscriptions_repository.chosen_add_ons(
        session, tenant.account_id, [s.id for s in shown]
    ):
        add_ons.setdefault(sub_id, []).append((add_on.name, quantity))
    views = []
    for sub in shown:
        pending_plan = (sub.pending_change or {}).get("plan")
        views.append(
            SubscriptionView(
                subscription=sub,
                plan_name=names.get(sub.plan_id, sub.plan_id),
                add_ons=add_ons.get(sub.id, []),
                next_charge=_next_charge(session, tenant, sub, now),
                pending_plan=names.get(pending_plan) if pending_plan else None,
            )
        )
    return views


def _next_charge(
    session: Session, tenant: Tenant, sub: Subscription, now: datetime
) -> NextCharge | None:
    if sub.status not in ("trialing", "active", "past_due") or sub.cancel_at_period_end:
        return None
    key = (tenant, sub.id, sub.updated_at, sub.current_period_end)
    draft = PROJECTIONS.get(key, lambda: _projected(session, tenant, sub, now))
    if draft is None:
        return None
    if draft.amount_due == 0:
        return None  # a free plan, or a period the balance pays: no charge to announce
    return NextCharge(sub.current_period_end, draft.amount_due, draft.currency)


def _projected(
    session: Session, tenant: Tenant, sub: Subscription, now: datetime
) -> InvoiceDraft | None:
    try:
        return upcoming.invoice(session, tenant, sub.customer_id, sub.id, now)
    except NotFoundError:
        return None


def benefits_of(session: Session, tenant: Tenant, customer_id: str, now: datetime) -> list[Benefit]:
    granted = entitlements.for_customer(session, tenant, customer_id, now).features
    named = features.by_ids(session, tenant, [item.feature for item in granted])
    benefits = []
    for item in granted:
        feature = named.get(item.feature)
        name = feature.name if feature is not None else item.code
        if item.kind == "boolean":
            benefits.append(Benefit(name, "boolean", value=item.value))
        elif item.kind == "limit":
            benefits.append(Benefit(name, "limit", limit=item.limit))
        else:
            benefits.append(
                Benefit(
                    name, "metered", limit=item.limit, used=item.used, period_end=item.period_end
                )
            )
    return benefits
