from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from recura.db import bulk, held
from recura.db.models import AddOn, Customer, Plan, Subscription, SubscriptionAddOn
from recura.db.records import SUBSCRIPTION_COLUMNS, SubscriptionRow, subscription_rows
from recura.domains.common import lookup
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def get_for_update(session: Session, tenant: Tenant, subscription_id: str) -> Subscription | None:
    found = held.holding(session, (Subscription, tenant.account_id, subscription_id))
    if found is not None:  # locked with its batch (`lock_many`)
        return found  # type: ignore[no-any-return]
    stmt = tenant.scope(select(Subscription), Subscription).where(
        Subscription.id == subscription_id
    )
    return session.scalar(stmt.with_for_update())


def lock_many(session: Session, keys: Sequence[tuple[str, str]]) -> list[Subscription]:
    """The subscriptions of (account id, subscription id) `keys`, locked in the keys'
    order; the transaction's `get_for_update` of each finds it without asking again."""
    found = lookup.locked_by_keys(session, Subscription, keys)
    held.hold(session, {(Subscription, s.account_id, s.id): s for s in found})
    return found


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    customer: str | None,
    status: str | None,
) -> Page[Subscription]:
    stmt = tenant.scope(select(Subscription), Subscription)
    if customer is not None:
        stmt = stmt.where(Subscription.customer_id == customer)
    if status is not None:
        stmt = stmt.where(Subscription.status == status)
    return paginate(session, stmt, Subscription, limit, starting_after)


def add_ons_of(
    session: Session, tenant: Tenant, subscription_ids: Collection[str]
) -> Sequence[SubscriptionAddOn]:
    """The subscriptions' add-on rows, in the order they were added."""
    stmt = tenant.scope(select(SubscriptionAddOn), SubscriptionAddOn).where(
        SubscriptionAddOn.subscription_id.in_(subscription_ids)
    )
    return session.scalars(stmt.order_by(SubscriptionAddOn.created_at, SubscriptionAddOn.id)).all()


def add_ons_with_quantities(
    session: Session, tenant: Tenant, subscription_id: str
) -> Sequence[tuple[AddOn, Decimal]]:
    """The subscription's add-ons and their quantities, in the order they were added."""
    stmt = (
        tenant.scope(select(AddOn, SubscriptionAddOn.quantity), AddOn)
        .join(
            SubscriptionAddOn,
            (SubscriptionAddOn.account_id == AddOn.account_id)
            & (SubscriptionAddOn.add_on_id == AddOn.id),
        )
        .where(SubscriptionAddOn.subscription_id == subscription_id)
        .order_by(SubscriptionAddOn.created_at, SubscriptionAddOn.id)
    )
    return session.execute(stmt).all()


def chosen_add_ons(
    session: Session, account_id: str, subscription_ids: Collection[str]
) -> Sequence[Row[str, Decimal, AddOn]]:
    """(subscription id, quantity, add-on) of the account's subscriptions' add-ons, in the
    order they were added."""
    stmt = (
        select(SubscriptionAddOn.subscription_id, SubscriptionAddOn.quantity, AddOn)
        .join(
            AddOn,
            (AddOn.account_id == SubscriptionAddOn.account_id)
            & (AddOn.id == SubscriptionAddOn.add_on_id),
        )
        .where(
            SubscriptionAddOn.account_id == account_id,
            bulk.among(session, SubscriptionAddOn.subscription_id, subscription_ids),
        )
        .order_by(SubscriptionAddOn.created_at, SubscriptionAddOn.id)
    )
    return session.execute(stmt).all()


def delete_add_ons(session: Session, tenant: Tenant, subscription_id: str) -> None:
    session.execute(
        delete(SubscriptionAddOn).where(
            SubscriptionAddOn.account_id == tenant.account_id,
            SubscriptionAddOn.subscription_id == subscription_id,
        )
    )


def latest_not_canceled(
    session: Session, tenant: Tenant, customer_id: str, plan_id: str
) -> Subscription | None:
    """The customer's newest subscription to the plan that is not canceled."""
    stmt = tenant.scope(select(Subscription), Subscription).where(
        Subscription.customer_id == customer_id,
        Subscription.plan_id == plan_id,
        Subscription.status != "canceled",
    )
    return session.scalars(stmt.order_by(Subscription.created_at.desc()).limit(1)).first()


def next_renewing(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    statuses: Collection[str],
    subscription_id: str | None,
) -> Subscription | None:
    """The customer's subscription in `statuses`, not set to cancel, that renews first (the
    one named, if `subscription_id`)."""
    stmt = tenant.scope(select(Subscription), Subscription).where(
        Subscription.customer_id == customer_id,
        Subscription.status.in_(statuses),
        Subscription.cancel_at_period_end.is_(False),
    )
    if subscription_id is not None:
        stmt = stmt.where(Subscription.id == subscription_id)
    return session.scalars(stmt.order_by(Subscription.current_period_end).limit(1)).first()


def _announceable() -> ColumnElement[bool]:
    """Renews, yearly or longer, and this period's renewal has not been announced."""
    return and_(
        Subscription.status.in_(("active", "past_due")),
        Subscription.cancel_at_period_end.is_(False),
        or_(
            Subscription.interval_unit == "year",
            and_(Subscription.interval_unit == "month", Subscription.interval_count >= 12),
        ),
        or_(
            Subscription.renewal_notice_for.is_(None),
            Subscription.renewal_notice_for != Subscription.current_period_end,
        ),
    )


def _due(now: datetime, notice: timedelta) -> ColumnElement[bool]:
    return and_(
        _announceable(),
        Subscription.current_period_end > now,
        Subscription.current_period_end <= now + notice,
    )


def lock_to_announce(
    session: Session, now: datetime, notice: timedelta, limit: int
) -> list[Subscription]:
    """Real-time subscriptions whose renewal within `notice` is unannounced, soonest first,
    locked FOR UPDATE SKIP LOCKED."""
    stmt = (
        select(Subscription)
        .where(_due(now, notice), Subscription.test_clock_id.is_(None))
        .order_by(Subscription.current_period_end)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def next_announceable_end(
    session: Session, tenant: Tenant, clock_id: str, now: datetime
) -> datetime | None:
    """The earliest period end after `now` of the clock's subscriptions with a renewal to
    announce."""
    return session.scalar(
        tenant.scope(select(func.min(Subscription.current_period_end)), Subscription).where(
            _announceable(),
            Subscription.test_clock_id == clock_id,
            Subscription.current_period_end > now,
        )
    )


def to_announce_on_clock(
    session: Session, tenant: Tenant, clock_id: str, now: datetime, notice: timedelta, limit: int
) -> list[Subscription]:
    """Up to `limit` of the clock's subscriptions whose renewal within `notice` is
    unannounced, soonest first."""
    stmt = tenant.scope(select(Subscription), Subscription).where(
        _due(now, notice), Subscription.test_clock_id == clock_id
    )
    stmt = stmt.order_by(Subscription.current_period_end, Subscription.id).limit(limit)
    return list(session.scalars(stmt))


def next_action_on_clock(session: Session, tenant: Tenant, clock_id: str) -> datetime | None:
    """When the clock's subscriptions next have work due (maybe already), or None."""
    on_clock = tenant.scope(select(Subscription), Subscription).where(
        Subscription.test_clock_id == clock_id
    )
    return session.scalar(on_clock.with_only_columns(func.min(Subscription.next_action_at)))


def on_test_clock(
    session: Session, tenant: Tenant, clock_id: str, statuses: Collection[str]
) -> list[Subscription]:
    """The clock's subscriptions in `statuses`."""
    return list(
        session.scalars(
            tenant.scope(select(Subscription), Subscription).where(
                Subscription.test_clock_id == clock_id,
                Subscription.status.in_(statuses),
            )
        )
    )


def subscriptions_by_key(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], Subscription]:
    """Subscriptions of any account by (account_id, id)."""
    return lookup.by_keys(session, Subscription, keys)


def find_by_key(session: Session, account_id: str, subscription_id: str) -> Subscription | None:
    """The account's subscription with this id, in test or live data, if there is one."""
    return session.get(Subscription, (account_id, subscription_id))


def first_subscription_ids(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """(account, customer) -> the id of the customer's first subscription, for the
    customers of (account, customer) `keys` that have one: one query per account."""
    found: dict[tuple[str, str], str] = {}
    for account_id in {a for a, _ in keys}:
        stmt = (
            select(Subscription.customer_id, func.min(Subscription.id))
            .where(
                Subscription.account_id == account_id,
                Subscription.customer_id.in_([c for a, c in keys if a == account_id]),
            )
            .group_by(Subscription.customer_id)
        )
        found |= {(account_id, c): first for c, first in session.execute(stmt)}
    return found


def count_not_canceled(session: Session, account_id: str, customer_id: str) -> int:
    """How many of the customer's subscriptions are not canceled, in test and live data."""
    stmt = select(func.count()).where(
        Subscription.account_id == account_id,
        Subscription.customer_id == customer_id,
        Subscription.status != "canceled",
    )
    count: int = session.scalar(stmt) or 0
    return count


def charges_automatically(session: Session, tenant: Tenant, customer_id: str) -> bool:
    """Whether one of the customer's subscriptions is (or will again be) charged to their
    payment method: not ended, and collected by charging rather than by a sent invoice."""
    stmt = tenant.scope(select(Subscription.id), Subscription).where(
        Subscription.customer_id == customer_id,
        Subscription.status != "canceled",
        Subscription.collection_method == "charge_automatically",
    )
    return session.scalar(stmt.limit(1)) is not None


# The due work of real time (None) or of one tenant's test clock.
ClockScope = tuple[Tenant, str] | None


def due_for_update(
    session: Session, now: datetime, clock: ClockScope, limit: int
) -> list[Subscription]:
    """Up to `limit` subscriptions whose next action is due, locked (SKIP LOCKED) so no
    other worker takes them, soonest first."""
    return list(session.scalars(_due_claim(select(Subscription), now, clock, limit)))


def due_rows_for_update(
    session: Session, now: datetime, clock: ClockScope, limit: int
) -> list[SubscriptionRow]:
    """`due_for_update`, read as plain records."""
    return subscription_rows(session, _due_claim(select(*SUBSCRIPTION_COLUMNS), now, clock, limit))


def _due_claim(stmt: Select[Any], now: datetime, clock: ClockScope, limit: int) -> Select[Any]:
    if clock is None:
        stmt = stmt.where(Subscription.test_clock_id.is_(None))
    else:
        tenant, clock_id = clock
        stmt = tenant.scope(stmt, Subscription).where(Subscription.test_clock_id == clock_id)
    return (
        stmt.where(Subscription.next_action_at <= now)
        .order_by(Subscription.next_action_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def mrr_by_customer(
    session: Session, tenant: Tenant, customer_ids: Collection[str]
) -> dict[str, dict[str, int]]:
    """Each customer's MRR now, by currency (customers without any are left out)."""
    if not customer_ids:
        return {}
    stmt = (
        tenant.scope(
            select(Subscription.customer_id, Subscription.currency, func.sum(Subscription.mrr)),
            Subscription,
        )
        .where(Subscription.customer_id.in_(list(customer_ids)), Subscription.mrr != 0)
        .group_by(Subscription.customer_id, Subscription.currency)
    )
    found: dict[str, dict[str, int]] = {}
    for customer_id, currency, mrr in session.execute(stmt):
        found.setdefault(customer_id, {})[currency] = int(mrr)
    return found


def console_page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    *,
    status: str | None = None,
    plan: str | None = None,
    product: str | None = None,
    customer_query: str = "",
) -> Page[Subscription]:
    """The console's subscription list, newest first, filtered by status, plan, product,
    and the customer (the start of their email, or anywhere in their name)."""
    stmt = tenant.scope(select(Subscription), Subscription)
    if status is not None:
        stmt = stmt.where(Subscription.status == status)
    if plan is not None:
        stmt = stmt.where(Subscription.plan_id == plan)
    if product is not None:
        plans = tenant.scope(select(Plan.id), Plan).where(Plan.product_id == product)
        stmt = stmt.where(Subscription.plan_id.in_(plans))
    words = customer_query.strip().lower()[:200]
    if words:
        escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        named = tenant.scope(select(Customer.id), Customer).where(
            or_(
                func.lower(Customer.email).like(f"{escaped}%", escape="\\"),
                func.lower(Customer.name).like(f"%{escaped}%", escape="\\"),
                Customer.id == words,
            )
        )
        stmt = stmt.where(Subscription.customer_id.in_(named))
    return paginate(session, stmt, Subscription, limit, starting_after)


def of_customer_open(session: Session, tenant: Tenant, customer_id: str) -> list[Subscription]:
    """The customer's subscriptions that have not ended, newest first."""
    stmt = tenant.scope(select(Subscription), Subscription).where(
        Subscription.customer_id == customer_id,
        Subscription.status.notin_(("canceled", "incomplete_expired")),
    )
    return list(session.scalars(stmt.order_by(Subscription.id.desc())))
