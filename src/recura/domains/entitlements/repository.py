"""The entitlements' queries. The one behind a customer's entitlements, every grant of its
live subscriptions, is read directly on the driver (`recura.db.direct`): on every request of
the merchant's product, SQLAlchemy's execution layer cost more CPU than the query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Select,
    String,
    bindparam,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from recura.db import direct
from recura.db.models import (
    BillableMetric,
    Customer,
    Event,
    Feature,
    FeatureGrant,
    Subscription,
    SubscriptionAddOn,
)
from recura.domains.common.tenant import Tenant

# A subscription grants its features from the moment it starts, trial included, while it is
# paid or being collected; incomplete, paused, unpaid and canceled ones grant nothing.
GRANTING_STATUSES = ("trialing", "active", "past_due")


@dataclass(frozen=True, slots=True)
class MetricRef:
    """What the entitlements read of a billable metric (all that usage aggregation needs)."""

    id: str
    code: str
    aggregation: str
    field_name: str | None
    filters: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class GrantRow:
    """One grant of one live subscription; `quantity` is the add-on's, None for the plan's."""

    subscription_id: str
    period_start: datetime
    period_end: datetime
    feature_id: str
    code: str
    kind: str
    value: Any
    quantity: Decimal | None
    metric: MetricRef | None


def grants(session: Session, tenant: Tenant, customer_id: str) -> list[GrantRow] | None:
    """The grants of the customer's live subscriptions, from their plans and add-ons; None
    when the tenant has no such customer. One query, whatever the number of features."""
    params = {
        "account_id": tenant.account_id,
        "livemode": tenant.livemode,
        "customer_id": customer_id,
    }
    # A subscription change asks right after its own writes: `direct.rows` flushes them.
    rows = direct.rows(session, _statement(), params)
    if not rows:
        return None
    metrics: dict[str, MetricRef] = {}
    found = []
    for (
        subscription_id,
        period_start,
        period_end,
        feature_id,
        value,
        quantity,
        code,
        kind,
        metric_id,
        metric_code,
        aggregation,
        field_name,
        filters,
    ) in rows:
        if feature_id is None:
            continue
        metric = None
        if metric_id is not None:
            metric = metrics.get(metric_id)
            if metric is None:
                metric = metrics[metric_id] = MetricRef(
                    metric_id, metric_code, aggregation, field_name, filters
                )
        found.append(
            GrantRow(
                subscription_id,
                period_start,
                period_end,
                feature_id,
                code,
                kind,
                value,
                quantity,
                metric,
            )
        )
    return found


@cache
def _statement() -> Select[Any]:
    # Built once, with bound parameters: this runs on every request of the merchant's
    # product, and building the expression costs more than running it.
    account_id = bindparam("account_id", type_=String)
    livemode = bindparam("livemode", type_=Boolean)
    customer_id = bindparam("customer_id", type_=String)
    sub, grant, bought = Subscription, FeatureGrant, SubscriptionAddOn
    # Written into the SQL: a list of values would be an expanding parameter, rendered again
    # on every execution.
    granting = [literal(status, String) for status in GRANTING_STATUSES]
    # Driven from the customer with outer joins, so a customer without grants still returns
    # one (empty) row and an unknown one none: no second query to tell them apart.
    from_plans = (
        select(
            sub.id.label("subscription_id"),
            sub.current_period_start.label("period_start"),
            sub.current_period_end.label("period_end"),
            grant.feature_id.label("feature_id"),
            grant.value.label("value"),
            type_coerce(null(), bought.quantity.type).label("quantity"),
        )
        .select_from(Customer)
        .outerjoin(
            sub,
            (sub.account_id == Customer.account_id)
            & (sub.customer_id == Customer.id)
            & sub.status.in_(granting),
        )
        .outerjoin(grant, (grant.account_id == sub.account_id) & (grant.plan_id == sub.plan_id))
        .where(
            Customer.account_id == account_id,
            Customer.livemode == livemode,
            Customer.id == customer_id,
        )
    )
    from_add_ons = (
        select(
            sub.id,
            sub.current_period_start,
            sub.current_period_end,
            grant.feature_id,
            grant.value,
            bought.quantity,
        )
        .join(bought, (bought.account_id == sub.account_id) & (bought.subscription_id == sub.id))
        .join(
            grant, (grant.account_id == bought.account_id) & (grant.add_on_id == bought.add_on_id)
        )
        .where(
            sub.account_id == account_id,
            sub.livemode == livemode,
            sub.customer_id == customer_id,
            sub.status.in_(granting),
        )
    )
    found = union_all(from_plans, from_add_ons).subquery("grants")
    return (
        select(
            found,
            Feature.code,
            Feature.kind,
            BillableMetric.id,
            BillableMetric.code,
            BillableMetric.aggregation,
            BillableMetric.field_name,
            BillableMetric.filters,
        )
        .select_from(found)
        .outerjoin(
            Feature,
            (Feature.account_id == account_id) & (Feature.id == found.c.feature_id),
        )
        .outerjoin(
            BillableMetric,
            (BillableMetric.account_id == Feature.account_id)
            & (BillableMetric.id == Feature.billable_metric_id),
        )
    )


def last_recorded_data(
    session: Session, tenant: Tenant, customer_id: str, event_type: str
) -> dict[str, Any] | None:
    """The data of the customer's latest `event_type` event, None if it has none."""
    # Ids start with their creation time, so the highest is the latest recorded, whatever
    # `occurred_at` a test clock gave it.
    stmt = (
        tenant.scope(select(Event.data), Event)
        .where(Event.object_id == customer_id, Event.type == event_type)
        .order_by(Event.id.desc())
        .limit(1)
    )
    data: dict[str, Any] | None = session.scalar(stmt)
    return data
