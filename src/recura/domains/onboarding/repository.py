"""The onboarding guides' queries: steps by scope, and completions."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from recura.db.models import OnboardingCompletion, OnboardingStep, Plan, Subscription
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    product: str | None = None,
    plan: str | None = None,
) -> Page[OnboardingStep]:
    stmt = tenant.scope(select(OnboardingStep), OnboardingStep)
    if product is not None:
        stmt = stmt.where(OnboardingStep.product_id == product)
    if plan is not None:
        stmt = stmt.where(OnboardingStep.plan_id == plan)
    return paginate(session, stmt, OnboardingStep, limit, starting_after)


def steps_for(
    session: Session, tenant: Tenant, plan_ids: Collection[str], product_ids: Collection[str]
) -> list[OnboardingStep]:
    """The steps not archived that apply to a subscriber of these plans and products, and
    those for every subscriber, in the order they show."""
    scope = [and_(OnboardingStep.plan_id.is_(None), OnboardingStep.product_id.is_(None))]
    if plan_ids:
        scope.append(OnboardingStep.plan_id.in_(sorted(plan_ids)))
    if product_ids:
        scope.append(OnboardingStep.product_id.in_(sorted(product_ids)))
    stmt = (
        tenant.scope(select(OnboardingStep), OnboardingStep)
        .where(OnboardingStep.archived_at.is_(None), or_(*scope))
        .order_by(OnboardingStep.position, OnboardingStep.id)
    )
    return list(session.scalars(stmt))


def completions(
    session: Session, tenant: Tenant, customer_id: str, step_ids: Sequence[str]
) -> dict[str, OnboardingCompletion]:
    """The customer's completions of these steps, by step."""
    if not step_ids:
        return {}
    stmt = tenant.scope(select(OnboardingCompletion), OnboardingCompletion).where(
        OnboardingCompletion.customer_id == customer_id,
        OnboardingCompletion.step_id.in_(list(step_ids)),
    )
    return {row.step_id: row for row in session.scalars(stmt)}


def completion(
    session: Session, tenant: Tenant, customer_id: str, step_id: str
) -> OnboardingCompletion | None:
    return completions(session, tenant, customer_id, [step_id]).get(step_id)


def subscriptions_of(
    session: Session, tenant: Tenant, customer_id: str
) -> list[tuple[str, str, str, str]]:
    """(subscription, plan, product, status) of each of the customer's subscriptions."""
    stmt = (
        tenant.scope(
            select(Subscription.id, Subscription.plan_id, Plan.product_id, Subscription.status),
            Subscription,
        )
        .join(
            Plan, (Plan.account_id == Subscription.account_id) & (Plan.id == Subscription.plan_id)
        )
        .where(Subscription.customer_id == customer_id)
        .order_by(Subscription.id)
    )
    return [(row[0], row[1], row[2], row[3]) for row in session.execute(stmt)]


def steps_by_plan(
    session: Session, account_id: str, livemode: bool, plans: Collection[tuple[str, str]]
) -> list[OnboardingStep]:
    """Every step not archived of one account and mode that applies to any of these
    (plan, product) pairs, or to every subscriber: the welcome emails of a batch read theirs
    in one query."""
    tenant = Tenant(account_id, livemode)
    return steps_for(session, tenant, {p for p, _ in plans}, {p for _, p in plans})
