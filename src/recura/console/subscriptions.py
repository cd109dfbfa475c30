"""The Subscriptions section: the list (filtered by status, plan, product and customer,
newest first, a page at a time) and each subscription's page: its items, add-ons, periods,
scheduled changes, invoices and events, with the actions of `subscription_actions.py`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from recura.console import acting, auth, pages
from recura.console.auth import Operator
from recura.db.models import AddOn, Coupon, Customer, Event, Invoice, Plan, Subscription
from recura.domains.add_ons import repository as add_ons
from recura.domains.cancellations import reasons
from recura.domains.common.tenant import Tenant
from recura.domains.coupons import repository as coupons
from recura.domains.customers import repository as customers
from recura.domains.events import repository as events
from recura.domains.invoices import repository as invoices
from recura.domains.plans import repository as plans
from recura.domains.products import repository as products
from recura.domains.subscriptions import change_options
from recura.domains.subscriptions import repository as subscriptions

router = APIRouter(prefix="/console/subscriptions")
READ = auth.require("subscriptions.read")
PER_PAGE = 25
STATUSES = (
    "incomplete",
    "trialing",
    "active",
    "past_due",
    "unpaid",
    "paused",
    "canceled",
    "incomplete_expired",
)
TIMELINE = 50
SHOWN_INVOICES = 24
COUPONS_OFFERED = 100


@router.get("")
def subscription_list(
    request: Request,
    status: str = "",
    plan: str = "",
    product: str = "",
    customer: str = "",
    after: str = "",
    mode: str = "",
    operator: Operator = Depends(READ),
) -> HTMLResponse:
    test = mode == "test"
    tenant = Tenant(operator.account.id, livemode=not test)
    chosen = {
        "status": status if status in STATUSES else "",
        "plan": plan[:40],
        "product": product[:40],
        "customer": customer.strip()[:200],
    }
    with pages.unit(request) as session:
        found = subscriptions.console_page(
            session,
            tenant,
            PER_PAGE,
            after[:64] or None,
            status=chosen["status"] or None,
            plan=chosen["plan"] or None,
            product=chosen["product"] or None,
            customer_query=chosen["customer"],
        )
        every_plan = list(plans.every_plan(session, tenant))
        every_product = products.active(session, tenant)
        named = customers_of(session, operator.account.id, {s.customer_id for s in found.items})
        session.expunge_all()
    kept = {
        name: value for name, value in {**chosen, "mode": "test" if test else ""}.items() if value
    }
    more = None
    if found.has_more:
        more = "?" + urlencode({**kept, "after": found.items[-1].id})
    return auth.render(
        request,
        operator,
        "subscriptions.html",
        subscriptions=found.items,
        customers=named,
        plans={p.id: p for p in every_plan},
        products=every_product,
        statuses=STATUSES,
        chosen=chosen,
        test=test,
        first_page="?" + urlencode(kept) if after else None,
        more=more,
        other_mode="?" + urlencode({} if test else {"mode": "test"}),
        state=lambda value: acting.state_label(value, operator.locale),
    )


def customers_of(session: Session, account_id: str, ids: set[str]) -> dict[str, Customer]:
    found = {}
    for customer_id in ids:
        row = customers.find_by_key(session, account_id, customer_id)
        if row is not None:
            found[customer_id] = row
    return found


@dataclass(frozen=True, slots=True)
class Seen:
    """What a subscription's page shows, and what its forms offer."""

    sub: Subscription
    customer: Customer
    plan: Plan
    version: int
    add_ons: list[tuple[AddOn, Decimal]]
    pending_plan: str | None
    pending_add_ons: list[tuple[str, str]]
    invoices: list[Invoice]
    timeline: list[Event]
    plans: list[Plan]
    add_on_choices: list[AddOn]
    coupons: list[Coupon]
    coupon: Coupon | None
    reasons: list[tuple[str, str]]


def seen(session: Session, operator: Operator, sub: Subscription) -> Seen:
    account_id = sub.account_id
    tenant = Tenant(account_id, sub.livemode)
    chosen = subscriptions.chosen_add_ons(session, account_id, [sub.id])
    pending = sub.pending_change or {}
    pending_plan = None
    pending_add_ons: list[tuple[str, str]] = []
    if pending.get("plan_version"):
        version = plans.version_by_key(session, account_id, pending["plan_version"])
        pending_plan = plans.plan_by_key(session, account_id, version.plan_id).name
        wanted = [a["add_on"] for a in pending.get("add_ons") or []]
        names = {a.id: a.name for a in add_ons.by_ids(session, tenant, wanted)}
        pending_add_ons = [
            (names.get(a["add_on"], a["add_on"]), a["quantity"])
            for a in pending.get("add_ons") or []
        ]
    bills = invoices.of_subscription(session, tenant, sub.id)[:SHOWN_INVOICES]
    plan = plans.plan_by_key(session, account_id, sub.plan_id)
    offered = [p for p in plans.every_plan(session, tenant) if p.archived_at is None]
    live_coupons = coupons.coupon_page(
        session, tenant, limit=COUPONS_OFFERED, starting_after=None, archived=False
    ).items
    return Seen(
        sub=sub,
        customer=customers.by_key(session, account_id, sub.customer_id),
        plan=plan,
        version=plans.version_by_key(session, account_id, sub.plan_version_id).version,
        add_ons=[(a, q) for _, q, a in chosen],
        pending_plan=pending_plan,
        pending_add_ons=pending_add_ons,
        invoices=bills,
        timeline=events.of_objects(session, tenant, {sub.id, *(i.id for i in bills)}, TIMELINE),
        plans=offered,
        add_on_choices=[c.add_on for c in change_options.options(session, tenant, sub).add_ons],
        coupons=live_coupons,
        coupon=None
        if sub.coupon_id is None
        else coupons.get_coupon(session, tenant, sub.coupon_id),
        reasons=[
            (r["code"], str(r["labels"].get(operator.locale) or r["labels"]["en"]))
            for r in reasons.reasons_of(operator.account)
        ],
    )


def page(
    request: Request,
    operator: Operator,
    subscription_id: str,
    *,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The subscription's page; after an action, what it did (`done`) or what was wrong
    with its form (`errors`, field -> sentence key, with the `values` typed)."""
    with pages.unit(request) as session:
        sub = subscriptions.find_by_key(session, operator.account.id, subscription_id[:64])
        if sub is None:
            return auth.render(request, operator, "not_found.html", 404)
        found = seen(session, operator, sub)
        session.expunge_all()
    return auth.render(
        request,
        operator,
        "subscription.html",
        status,
        seen=found,
        sub=found.sub,
        done=done,
        errors=errors or {},
        values=values or {},
        notice=notice,
        **helpers(operator),
    )


def helpers(operator: Operator) -> dict[str, Any]:
    zone = ZoneInfo(operator.account.timezone)

    def moment(at: datetime) -> str:
        return format_datetime(at.astimezone(zone), "medium", locale=operator.locale)

    return {
        "moment": moment,
        "state": lambda value: acting.state_label(value, operator.locale),
        "qty": acting.quantity,
        # A calendar day (no instant, so no time zone), as the operator writes dates.
        "calendar_day": lambda value: format_date(value, "medium", locale=operator.locale),
    }


@router.get("/{subscription_id}")
def subscription_page(
    subscription_id: str,
    request: Request,
    done: str | None = None,
    operator: Operator = Depends(READ),
) -> HTMLResponse:
    shown = done if done in DONE else None
    return page(request, operator, subscription_id, done=shown)


DONE = {"change", "coupon", "cancel", "pause", "resume", "reactivate"}
