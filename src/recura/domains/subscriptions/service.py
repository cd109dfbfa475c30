"""Start subscriptions, read them, and the pieces every subscription operation shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from recura.core import lifecycle
from recura.core.invoicing import InvoiceInput, LineInput
from recura.core.periods import (
    IntervalUnit,
    Period,
    add_interval,
    first_period,
    schedule_for,
)
from recura.db.models import (
    AddOn,
    Coupon,
    Customer,
    Plan,
    PromotionCode,
    Subscription,
    SubscriptionAddOn,
)
from recura.db.records import SubscriptionLike
from recura.domains.accounts import service as accounts
from recura.domains.common import lookup
from recura.domains.common.errors import NotFoundError, invalid
from recura.domains.common.fields import money_out, trim_zeros
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.coupons import repository as coupons_repository
from recura.domains.coupons import service as coupons
from recura.domains.customers import repository as customers_repository
from recura.domains.customers import service as customers
from recura.domains.invoices import issuing
from recura.domains.plans import repository as plans
from recura.domains.subscriptions import invoicing, repository, state, terms
from recura.domains.subscriptions.invoicing import InvoiceBasis
from recura.domains.subscriptions.schemas import (
    AddOnChoice,
    DiscountOut,
    PendingChangeOut,
    SubscriptionAddOnOut,
    SubscriptionCreate,
    SubscriptionOut,
)
from recura.ids import new_id


def get(session: Session, tenant: Tenant, subscription_id: str) -> Subscription:
    return lookup.require(session, tenant, Subscription, subscription_id, "subscription")


def get_for_update(session: Session, tenant: Tenant, subscription_id: str) -> Subscription:
    """The subscription, its row locked until commit: a change and a renewal never interleave."""
    sub = repository.get_for_update(session, tenant, subscription_id)
    if sub is None:
        raise NotFoundError("subscription", subscription_id)
    return sub


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    customer: str | None = None,
    status: str | None = None,
) -> Page[Subscription]:
    return repository.page(session, tenant, limit, starting_after, customer, status)


def has_subscribed(session: Session, tenant: Tenant, customer_id: str) -> bool:
    """Whether the customer ever had a subscription (a first-time-only offer is not for it)."""
    found = repository.first_subscription_ids(session, [(tenant.account_id, customer_id)])
    return bool(found)


def billing_of(session: Session, tenant: Tenant, sub: Subscription) -> InvoiceBasis:
    account = accounts.get_account(session, tenant.account_id)
    customer = customers_repository.by_key(session, tenant.account_id, sub.customer_id)
    return InvoiceBasis(account, customer, sub, terms.load(session, tenant, sub))


def add_ons(
    session: Session, tenant: Tenant, choices: list[AddOnChoice], pointer: str
) -> list[tuple[AddOn, Decimal]]:
    chosen: list[tuple[AddOn, Decimal]] = []
    for index, choice in enumerate(choices):
        here = f"{pointer}/{index}/add_on"
        add_on = lookup.referenced(session, tenant, AddOn, choice.add_on, "add-on", here)
        if any(a.id == add_on.id for a, _ in chosen):
            raise invalid(here, f"add-on '{add_on.id}' is listed twice")
        chosen.append((add_on, choice.quantity))
    return chosen


def discount(
    session: Session,
    tenant: Tenant,
    coupon_id: str | None,
    code: str | None,
    plan: Plan,
    customer: Customer,
    now: datetime,
) -> tuple[Coupon, PromotionCode | None] | None:
    if coupon_id is None and code is None:
        return None
    return coupons.resolve_discount(
        session,
        tenant,
        coupon_id=coupon_id,
        promotion_code=code,
        plan_id=plan.id,
        customer_id=customer.id,
        now=now,
    )


def redeem(sub: Subscription, coupon: Coupon, promotion: PromotionCode | None) -> None:
    """Put the discount on the subscription and count the redemption."""
    put_discount(sub, coupon, promotion)
    coupon.times_redeemed += 1
    if promotion is not None:
        promotion.times_redeemed += 1


def put_discount(sub: Subscription, coupon: Coupon, promotion: PromotionCode | None) -> None:
    """The discount on the subscription, for as many periods as the coupon lasts."""
    sub.coupon_id = coupon.id
    sub.promotion_code_id = promotion.id if promotion else None
    sub.discount_periods_left = {"once": 1, "repeating": coupon.duration_in_periods}.get(
        coupon.duration
    )


def period_coupon(
    session: Session, tenant: Tenant, sub: SubscriptionLike, *, consume: bool = True
) -> Coupon | None:
    """The coupon that discounts the period being invoiced now; `consume` counts the period
    off (previews don't)."""
    if sub.coupon_id is None:
        return None
    coupon = coupons_repository.coupon_by_key(session, tenant.account_id, sub.coupon_id)
    if consume and sub.discount_periods_left is not None:
        sub.discount_periods_left -= 1
        if sub.discount_periods_left <= 0:
            sub.coupon_id = sub.promotion_code_id = sub.discount_periods_left = None
    return coupon


@dataclass(frozen=True, slots=True)
class Opening:
    """A subscription as `data` would start it, not yet saved: the row, its terms, its
    first period and the coupon it redeems."""

    b: InvoiceBasis
    first: Period
    discount: tuple[Coupon, PromotionCode | None] | None
    add_ons: list[tuple[AddOn, Decimal]]
    setup_fee: list[LineInput]

    def lines(self) -> list[LineInput]:
        """The first invoice's lines: the setup fee if owed, and the first period's fees
        unless it is a trial."""
        lines = list(self.setup_fee)
        if self.b.sub.trial_end is None:
            lines += invoicing.advance_lines(self.b, self.first)
        return lines

    def coupon(self) -> Coupon | None:
        """The coupon that discounts the first invoice: a trial bills no period to discount."""
        if self.discount is None or self.b.sub.trial_end is not None:
            return None
        return self.discount[0]

    def inputs(self) -> InvoiceInput:
        """The first invoice's core inputs: `create` issues them, previews draft them."""
        return self.b.inputs(self.lines(), self.coupon())


def opening(session: Session, tenant: Tenant, data: SubscriptionCreate, now: datetime) -> Opening:
    """What `create` would start; saves nothing (the reactivation page quotes from it)."""
    customer = lookup.referenced(session, tenant, Customer, data.customer, "customer", "/customer")
    return opening_for(session, tenant, data, customer, now)


def opening_for(
    session: Session, tenant: Tenant, data: SubscriptionCreate, customer: Customer, now: datetime
) -> Opening:
    """`opening` for this customer, which may not be saved yet (a checkout's summary, shown
    before the subscriber is a customer, is the invoice such a customer would get)."""
    account = accounts.get_account(session, tenant.account_id)
    plan = lookup.referenced(session, tenant, Plan, data.plan, "plan", "/plan")
    version = plans.current_versions(session, tenant, [plan.id])[plan.id]
    now = customers.now_for(session, tenant, customer, now)
    currency = data.currency or customer.currency or account.default_currency
    chosen = add_ons(session, tenant, data.add_ons, "/add_ons")
    sold = terms.build(session, tenant, plan, version, currency, data.quantity, chosen)
    found = discount(session, tenant, data.coupon, data.promotion_code, plan, customer, now)
    zone, alignment = account.timezone, data.billing_alignment or account.billing_alignment
    trial_days = plan.trial_days if data.trial_days is None else data.trial_days
    trial_end = add_interval(now, IntervalUnit.DAY, trial_days, zone) if trial_days else None
    paid_from = trial_end or now
    schedule = schedule_for(paid_from, sold.interval, zone, alignment)  # type: ignore[arg-type]
    first = (
        Period(now, trial_end)
        if trial_end
        else first_period(
            now,
            sold.interval,
            zone,
            alignment,  # type: ignore[arg-type]
        )
    )
    sub = Subscription(
        id=new_id("subscription"),
        **tenant.row_keys(),
        customer_id=customer.id,
        plan_id=plan.id,
        plan_version_id=version.id,
        status="incomplete",
        currency=currency,
        quantity=data.quantity,
        interval_unit=plan.interval_unit,
        interval_count=plan.interval_count,
        alignment=alignment,
        timezone=zone,
        billing_anchor=schedule.anchor,
        current_period_start=first.start,
        current_period_end=first.end,
        trial_end=trial_end,
        cancel_at_period_end=False,
        pending_change=None,
        trial_notice_sent=False,
        mrr=0,
        collection_method=data.collection_method,
        test_clock_id=customer.test_clock_id,
        metadata_=data.metadata,
        created_at=now,
        updated_at=now,
    )
    b = InvoiceBasis(account, customer, sub, sold)
    return Opening(b, first, found, chosen, invoicing.owed_setup_fee_lines(session, b))


def create(
    session: Session, tenant: Tenant, data: SubscriptionCreate, now: datetime
) -> Subscription:
    start = opening(session, tenant, data, now)
    b, sub, now = start.b, start.b.sub, start.b.sub.created_at
    session.add(sub)
    session.flush()
    for add_on, quantity in start.add_ons:
        session.add(
            SubscriptionAddOn(
                id=new_id("subscription_add_on"),
                **tenant.row_keys(),
                subscription_id=sub.id,
                add_on_id=add_on.id,
                quantity=quantity,
                created_at=now,
            )
        )
    if start.discount is not None:
        redeem(sub, *start.discount)
        if sub.trial_end is None:
            period_coupon(session, tenant, sub)  # the first period uses one of its periods
    inputs = start.inputs()
    owes = (
        bool(inputs.lines)
        and issuing.draft(session, tenant, sub.customer_id, inputs).amount_due > 0
    )
    requires_payment = data.payment_behavior == "default_incomplete" and owes
    first = start.first
    new, happened = lifecycle.start(now, first.start, first.end, sub.trial_end, requires_payment)
    state.save(session, tenant, sub, new, happened, b.terms, now)
    invoicing.issue(session, tenant, b, invoicing.CREATE, inputs, first, now)
    return sub


def subscriptions_out(
    session: Session, tenant: Tenant, subs: list[Subscription]
) -> list[SubscriptionOut]:
    ids = [s.id for s in subs]
    versions = {}
    if subs:
        versions = plans.version_numbers(session, tenant, {s.plan_version_id for s in subs})
    chosen: dict[str, list[SubscriptionAddOnOut]] = {i: [] for i in ids}
    for row in repository.add_ons_of(session, tenant, ids):
        chosen[row.subscription_id].append(
            SubscriptionAddOnOut(add_on=row.add_on_id, quantity=trim_zeros(row.quantity))
        )
    return [_out(s, versions[s.plan_version_id], chosen[s.id]) for s in subs]


def _out(sub: Subscription, version: int, chosen: list[SubscriptionAddOnOut]) -> SubscriptionOut:
    change: dict[str, Any] | None = sub.pending_change
    return SubscriptionOut(
        id=sub.id,
        customer=sub.customer_id,
        plan=sub.plan_id,
        plan_version=version,
        status=sub.status,
        currency=sub.currency,
        quantity=trim_zeros(sub.quantity),
        add_ons=chosen,
        interval_unit=sub.interval_unit,
        interval_count=sub.interval_count,
        billing_alignment=sub.alignment,
        billing_anchor=sub.billing_anchor,
        current_period_start=sub.current_period_start,
        current_period_end=sub.current_period_end,
        trial_end=sub.trial_end,
        cancel_at_period_end=sub.cancel_at_period_end,
        canceled_at=sub.canceled_at,
        ended_at=sub.ended_at,
        paused_at=sub.paused_at,
        resume_at=sub.resume_at,
        pending_change=None
        if change is None or sub.pending_change_at is None
        else PendingChangeOut(
            plan=change["plan"],
            quantity=Decimal(change["quantity"]),
            add_ons=[SubscriptionAddOnOut.model_validate(a) for a in change["add_ons"]],
            effective_at=sub.pending_change_at,
        ),
        discount=None
        if sub.coupon_id is None
        else DiscountOut(
            coupon=sub.coupon_id,
            promotion_code=sub.promotion_code_id,
            periods_left=sub.discount_periods_left,
        ),
        collection_method=sub.collection_method,
        mrr=money_out(sub.mrr, sub.currency),
        test_clock=sub.test_clock_id,
        metadata=sub.metadata_,
        livemode=sub.livemode,
        created_at=sub.created_at,
    )
