"""Checkout sessions: made by the merchant's API or a public plan link, read, listed and
expired; the subscriber's way through them (opened, details, payment method) recorded.

A session lasts 24 hours. No job expires it: whatever reads one past `expires_at` sees it
expired (`status_at`), the list filters on the same rule, and anything that writes to it
stores the status it reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from recura.core.pricing import PricingModel
from recura.db.models import CheckoutSession, Customer, Plan
from recura.domains.accounts import service as accounts
from recura.domains.checkout import details as subscriber
from recura.domains.checkout import repository
from recura.domains.checkout.schemas import (
    SESSION_ID_PLACEHOLDER,
    CheckoutSessionCreate,
    CheckoutSessionOut,
    StagesOut,
)
from recura.domains.common import languages, lookup
from recura.domains.common.errors import ConflictError, InvalidError, NotFoundError, invalid
from recura.domains.common.fields import trim_zeros
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.coupons import service as coupons
from recura.domains.customers.billing import BillingDetailsInvalid, Problem
from recura.domains.funnels import counters
from recura.domains.plans import repository as plans
from recura.domains.subscriptions import service as subscriptions
from recura.domains.subscriptions import terms
from recura.domains.subscriptions.schemas import AddOnChoice, SubscriptionAddOnOut
from recura.ids import new_id

LIFETIME = timedelta(hours=24)
STAGES = ("opened", "details", "payment_method", "confirmed")
PUBLIC_CHANNEL = "plan_link"


def status_at(checkout: CheckoutSession, now: datetime) -> str:
    """The status as it reads at `now`: an open session past its expiry is expired."""
    if checkout.status == "open" and now >= checkout.expires_at:
        return "expired"
    return checkout.status


def get(session: Session, tenant: Tenant, checkout_id: str) -> CheckoutSession:
    return lookup.require(session, tenant, CheckoutSession, checkout_id, "checkout session")


def locate(session: Session, checkout_id: str) -> tuple[Tenant, CheckoutSession] | None:
    """The session a hosted page's address names, and whose it is (None: no such session)."""
    checkout = repository.by_id(session, checkout_id)
    if checkout is None:
        return None
    return Tenant(checkout.account_id, checkout.livemode), checkout


def get_for_update(
    session: Session, tenant: Tenant, checkout_id: str, now: datetime
) -> CheckoutSession:
    """The session locked until commit, its lapsed expiry stored."""
    checkout = repository.get_for_update(session, tenant, checkout_id)
    if checkout is None:
        raise NotFoundError("checkout session", checkout_id)
    if status_at(checkout, now) != checkout.status:
        checkout.status, checkout.updated_at = "expired", now
    return checkout


def open_for_update(
    session: Session, tenant: Tenant, checkout_id: str, now: datetime
) -> CheckoutSession:
    """`get_for_update` of a session still open: a completed or expired one takes no more
    changes (ConflictError)."""
    checkout = get_for_update(session, tenant, checkout_id, now)
    if checkout.status != "open":
        raise ConflictError(f"Checkout session '{checkout.id}' is {checkout.status}.")
    return checkout


def create(
    session: Session, tenant: Tenant, data: CheckoutSessionCreate, now: datetime
) -> CheckoutSession:
    """A session for the merchant's own checkout button, checked as starting the
    subscription would check it: the plan priced in the currency, the add-ons and quantity
    within bounds, the coupon usable."""
    account = accounts.get_account(session, tenant.account_id)
    plan = lookup.referenced(session, tenant, Plan, data.plan, "plan", "/plan")
    customer = None
    if data.customer is not None:
        if data.customer_email is not None:
            raise invalid("/customer_email", "give either a customer or a customer_email")
        customer = lookup.referenced(
            session, tenant, Customer, data.customer, "customer", "/customer"
        )
    if data.coupon is not None and data.allow_promotion_codes:
        raise invalid("/allow_promotion_codes", "give a coupon or allow promotion codes, not both")
    currency = data.currency or (customer.currency if customer else None)
    currency = currency or account.default_currency
    _check_sold(session, tenant, plan, currency, data.quantity, data.add_ons)
    if data.coupon is not None:
        coupons.resolve_discount(
            session,
            tenant,
            coupon_id=data.coupon,
            plan_id=plan.id,
            customer_id=customer.id if customer else None,
            now=now,
        )
    locale = data.locale or languages.for_customer(
        customer.locale if customer else None, account.locale, account.fallback_locale
    )
    checkout = _new(tenant, plan.id, currency, locale, now)
    checkout.quantity = data.quantity
    checkout.add_ons = [
        {"add_on_id": c.add_on, "quantity": str(trim_zeros(c.quantity))} for c in data.add_ons
    ]
    checkout.coupon_id = data.coupon
    checkout.allow_promotion_codes = data.allow_promotion_codes
    checkout.customer_id = customer.id if customer else None
    checkout.customer_given = customer is not None
    checkout.customer_email = data.customer_email
    checkout.success_url = data.success_url
    checkout.cancel_url = data.cancel_url
    checkout.metadata_ = data.metadata
    checkout.acquisition = data.acquisition.stored()
    session.add(checkout)
    counters.made(session, checkout)
    session.flush()
    return checkout


def open_for_plan(
    session: Session,
    tenant: Tenant,
    plan_id: str,
    now: datetime,
    *,
    locale: str | None = None,
    currency: str | None = None,
    acquisition: Mapping[str, str] | None = None,
) -> CheckoutSession:
    """A public checkout of one plan, with no code: quantity 1, promotion codes allowed,
    in the caller's language and currency (default: the account's). The plan must exist
    and not be archived (NotFoundError otherwise: a public link names no hidden plan)."""
    account = accounts.get_account(session, tenant.account_id)
    plan = lookup.find(session, tenant, Plan, plan_id)
    if plan is None or plan.archived_at is not None:
        raise NotFoundError("plan", plan_id)
    currency = (currency or account.default_currency).upper()
    _check_sold(session, tenant, plan, currency, Decimal(1), [])
    wanted = languages.negotiate(locale) if locale else None
    language = wanted or languages.for_customer(None, account.locale, account.fallback_locale)
    checkout = _new(tenant, plan.id, currency, language, now)
    checkout.allow_promotion_codes = True
    channel = {"channel": PUBLIC_CHANNEL}
    checkout.acquisition = {**channel, **{k: v[:200] for k, v in (acquisition or {}).items()}}
    session.add(checkout)
    counters.made(session, checkout)
    session.flush()
    return checkout


def _new(
    tenant: Tenant, plan_id: str, currency: str, locale: str, now: datetime
) -> CheckoutSession:
    return CheckoutSession(
        id=new_id("checkout_session"),
        **tenant.row_keys(),
        plan_id=plan_id,
        quantity=Decimal(1),
        add_ons=[],
        coupon_id=None,
        allow_promotion_codes=False,
        promotion_code_id=None,
        customer_id=None,
        customer_given=False,
        customer_email=None,
        locale=locale,
        currency=currency,
        success_url=None,
        cancel_url=None,
        metadata_={},
        acquisition={},
        status="open",
        stage=None,
        opened_at=None,
        details_at=None,
        payment_method_at=None,
        confirmed_at=None,
        details=None,
        terms_accepted_at=None,
        last_error=None,
        subscription_id=None,
        expires_at=now + LIFETIME,
        completed_at=None,
        created_at=now,
        updated_at=now,
    )


def _check_sold(
    session: Session,
    tenant: Tenant,
    plan: Plan,
    currency: str,
    quantity: Decimal,
    choices: list[AddOnChoice],
) -> None:
    """What starting the subscription will check of the plan, quantity and add-ons."""
    version = plans.current_versions(session, tenant, [plan.id])[plan.id]
    free = version.pricing_model == PricingModel.FREE  # free in every currency
    if not free and currency not in {p["currency"] for p in version.prices}:
        offered = ", ".join(p["currency"] for p in version.prices)
        raise invalid("/currency", f"plan '{plan.id}' is priced in {offered}, not {currency}")
    chosen = subscriptions.add_ons(session, tenant, choices, "/add_ons")
    terms.build(session, tenant, plan, version, currency, quantity, chosen)


def add_on_choices(checkout: CheckoutSession) -> list[AddOnChoice]:
    return [
        AddOnChoice(add_on=a["add_on_id"], quantity=Decimal(a["quantity"]))
        for a in checkout.add_ons
    ]


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    now: datetime,
    *,
    status: str | None = None,
    abandoned: bool | None = None,
) -> Page[CheckoutSession]:
    return repository.page(
        session, tenant, limit, starting_after, now, status=status, abandoned=abandoned
    )


def expire(session: Session, tenant: Tenant, checkout_id: str, now: datetime) -> CheckoutSession:
    """Close an open session now; an expired one stays as it is, a completed one cannot."""
    checkout = get_for_update(session, tenant, checkout_id, now)
    if checkout.status == "complete":
        raise ConflictError(f"Checkout session '{checkout.id}' is complete; it cannot expire.")
    if checkout.status == "open":
        checkout.status, checkout.expires_at, checkout.updated_at = "expired", now, now
    session.flush()
    return checkout


# The subscriber's way through the page


def reach(session: Session, checkout: CheckoutSession, stage: str, now: datetime) -> None:
    """Record that the subscriber got to `stage` (and so past any earlier one they skipped):
    each stage keeps the time it was first reached. The session is held locked: a further
    stage moves its daily count once."""
    upto = STAGES.index(stage)
    for name in STAGES[: upto + 1]:
        if getattr(checkout, f"{name}_at") is None:
            setattr(checkout, f"{name}_at", now)
    if checkout.stage is None or STAGES.index(checkout.stage) < upto:
        was = counters.counted(checkout)
        checkout.stage = stage
        counters.changed(session, checkout, was)
    checkout.updated_at = now


def mark_opened(
    session: Session, tenant: Tenant, checkout_id: str, now: datetime
) -> CheckoutSession:
    """The page was shown: the session as it reads now (opened at most once). Only the first
    showing locks the row: a page shown again, or in many tabs, waits for no one."""
    checkout = get(session, tenant, checkout_id)
    if checkout.opened_at is not None:
        return checkout
    checkout = get_for_update(session, tenant, checkout_id, now)
    if checkout.status == "open" and checkout.opened_at is None:
        reach(session, checkout, "opened", now)
    session.flush()
    return checkout


def choose_locale(
    session: Session, tenant: Tenant, checkout_id: str, locale: str, now: datetime
) -> CheckoutSession:
    """The subscriber picked the page's language: the session (and the customer it makes)
    speaks it from now on. A closed session keeps its own."""
    checkout = get_for_update(session, tenant, checkout_id, now)
    wanted = languages.negotiate(locale)
    if checkout.status == "open" and wanted and wanted != checkout.locale:
        checkout.locale, checkout.updated_at = wanted, now
    session.flush()
    return checkout


def save_details(
    session: Session,
    tenant: Tenant,
    checkout_id: str,
    data: Mapping[str, Any],
    now: datetime,
) -> subscriber.SubscriberDetails:
    """Check and keep the subscriber's details (`details.validate`; BillingDetailsInvalid
    names each field at fault)."""
    checkout = open_for_update(session, tenant, checkout_id, now)
    found = subscriber.validate(data)
    checkout.details = found.stored()
    reach(session, checkout, "details", now)
    session.flush()
    return found


def saved_details(checkout: CheckoutSession) -> subscriber.SubscriberDetails | None:
    return (
        None
        if checkout.details is None
        else subscriber.SubscriberDetails.from_stored(checkout.details)
    )


def initial_details(session: Session, tenant: Tenant, checkout: CheckoutSession) -> dict[str, Any]:
    """What the details form starts with: what was saved, else the merchant's customer's
    details or the email it gave."""
    if checkout.details is not None:
        return dict(checkout.details)
    if checkout.customer_id is not None:
        customer = lookup.require(session, tenant, Customer, checkout.customer_id, "customer")
        return {
            "email": customer.email,
            "name": customer.name,
            "kind": customer.kind,
            "legal_name": customer.legal_name,
            "vat_id": customer.vat_id,
            "registration_number": customer.registration_number,
            "national_id": customer.national_id,
            "address": dict(customer.address or {"country": customer.country}),
        }
    return {"email": checkout.customer_email}


def apply_promotion_code(
    session: Session, tenant: Tenant, checkout_id: str, code: str | None, now: datetime
) -> CheckoutSession:
    """The promotion code the subscriber typed, if the session allows one and it can be
    used now on this plan by this subscriber; None removes it. BillingDetailsInvalid at
    `/promotion_code` otherwise."""
    checkout = open_for_update(session, tenant, checkout_id, now)
    if code is None or not code.strip():
        checkout.promotion_code_id, checkout.updated_at = None, now
        session.flush()
        return checkout
    if not checkout.allow_promotion_codes:
        raise BillingDetailsInvalid([Problem("/promotion_code", "promotion_code.not_allowed")])
    promotion = usable_promotion(session, tenant, checkout, code.strip(), now)
    checkout.promotion_code_id, checkout.updated_at = promotion, now
    session.flush()
    return checkout


def usable_promotion(
    session: Session, tenant: Tenant, checkout: CheckoutSession, code: str, now: datetime
) -> str:
    """The id of the promotion code `code`, checked as the subscription will check it, and
    a first-time-only code refused to a customer who has subscribed before."""
    try:
        _, promotion = coupons.resolve_discount(
            session,
            tenant,
            promotion_code=code,
            plan_id=checkout.plan_id,
            customer_id=checkout.customer_id,
            now=now,
        )
    except InvalidError:
        raise BillingDetailsInvalid(
            [Problem("/promotion_code", "promotion_code.invalid")]
        ) from None
    assert promotion is not None
    customer = checkout.customer_id
    if (
        promotion.first_time_only
        and customer is not None
        and subscriptions.has_subscribed(session, tenant, customer)
    ):
        raise BillingDetailsInvalid([Problem("/promotion_code", "promotion_code.invalid")])
    return promotion.id


def discount_of(
    session: Session, tenant: Tenant, checkout: CheckoutSession
) -> tuple[str | None, str | None]:
    """(coupon id, promotion code) the subscription is started with."""
    if checkout.promotion_code_id is None:
        return checkout.coupon_id, None
    promotion = coupons.get_promotion(session, tenant, checkout.promotion_code_id)
    return None, promotion.code


# Shown to the merchant


def url_of(public_url: str, checkout: CheckoutSession) -> str:
    return f"{public_url.rstrip('/')}/checkout/{checkout.id}"


def success_url_of(checkout: CheckoutSession) -> str | None:
    """Where the subscriber goes once done, `{CHECKOUT_SESSION_ID}` replaced as Stripe
    does: the literal placeholder, anywhere in the URL, becomes the session's id."""
    if checkout.success_url is None:
        return None
    return checkout.success_url.replace(SESSION_ID_PLACEHOLDER, checkout.id)


def to_out(checkout: CheckoutSession, public_url: str, now: datetime) -> CheckoutSessionOut:
    return CheckoutSessionOut(**out_fields(checkout, public_url, now))


def out_fields(checkout: CheckoutSession, public_url: str, now: datetime) -> dict[str, Any]:
    return {
        "id": checkout.id,
        "url": url_of(public_url, checkout),
        "status": status_at(checkout, now),
        "stage": checkout.stage,
        "stages": StagesOut(
            opened=checkout.opened_at,
            details=checkout.details_at,
            payment_method=checkout.payment_method_at,
            confirmed=checkout.confirmed_at,
        ),
        "plan": checkout.plan_id,
        "quantity": trim_zeros(checkout.quantity),
        "add_ons": [
            SubscriptionAddOnOut(add_on=a["add_on_id"], quantity=Decimal(a["quantity"]))
            for a in checkout.add_ons
        ],
        "coupon": checkout.coupon_id,
        "allow_promotion_codes": checkout.allow_promotion_codes,
        "promotion_code": checkout.promotion_code_id,
        "customer": checkout.customer_id,
        "customer_email": checkout.customer_email,
        "locale": checkout.locale,
        "currency": checkout.currency,
        "success_url": checkout.success_url,
        "cancel_url": checkout.cancel_url,
        "metadata": checkout.metadata_,
        "acquisition": checkout.acquisition,
        "subscription": checkout.subscription_id,
        "expires_at": checkout.expires_at,
        "completed_at": checkout.completed_at,
        "livemode": checkout.livemode,
        "created_at": checkout.created_at,
        "updated_at": checkout.updated_at,
    }
