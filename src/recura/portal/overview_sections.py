"""The overview's sections besides subscriptions and benefits: the merchant's announcements
for this customer, their getting-started guide (and marking a step done), their partner
perks, and what a higher plan would give each active subscription."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from babel import Locale
from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.domains.announcements import service as announcements
from recura.domains.onboarding import guide as onboarding
from recura.domains.partner_perks import views as perks
from recura.domains.plans.upgrades import Gain, HigherPlan, higher_plans
from recura.portal import pages, signed_in
from recura.portal.dashboard import SubscriptionView
from recura.portal.signed_in import Visitor
from recura.web import csrf
from recura.web.kept import Kept

router = APIRouter()

STEP_DONE = "onboarding_step"
# How many plans above each subscription's the overview suggests: the next ones up.
# The plans above a plan version, for a quantity in a currency: the catalog, kept briefly.
HIGHER: Kept[list[HigherPlan]] = Kept(10.0)
UPGRADES_SHOWN = 2


@dataclass(frozen=True, slots=True)
class Upgrades:
    """The plans above one active subscription's."""

    subscription_id: str
    plan_name: str
    interval_unit: str
    interval_count: int
    plans: list[HigherPlan]


def sections(
    session: Session, request: Request, visitor: Visitor, shown: list[SubscriptionView]
) -> dict[str, Any]:
    """The overview's added sections, as its template names them."""
    tenant, customer_id = visitor.tenant, visitor.customer.id
    # Announcements and partner links live in the merchant's real time, not in a test
    # clock's: a partner checks a link's token against its own clock.
    real_now = request.app.state.clock.now()
    guide = onboarding.guide(session, tenant, customer_id, language=visitor.locale)
    return {
        "announcements": announcements.for_customer(
            session, tenant, customer_id, real_now, language=visitor.locale
        ),
        "guide": guide if guide.total and not guide.finished else None,
        "perks": perks.perks_for(session, tenant, customer_id, visitor.locale, real_now),
        "upgrades": _upgrades(session, visitor, shown),
        "gain_text": lambda gain: gain_text(gain, visitor.locale),
        "interval_text": lambda unit, count: interval_text(unit, count, visitor.locale),
        "prices_include_vat": visitor.account.tax_inclusive,
    }


def _upgrades(session: Session, visitor: Visitor, shown: list[SubscriptionView]) -> list[Upgrades]:
    found = []
    for view in shown:
        sub = view.subscription
        if sub.status != "active" or sub.cancel_at_period_end:
            continue
        key = (visitor.tenant, sub.plan_version_id, sub.currency, sub.quantity)
        above = HIGHER.get(key, partial(higher_plans, session, visitor.tenant, sub.id))
        above = above[:UPGRADES_SHOWN]
        if above:
            found.append(
                Upgrades(sub.id, view.plan_name, sub.interval_unit, sub.interval_count, above)
            )
    return found


def interval_text(unit: str, count: int, locale: str) -> str:
    """ "a month", "every 3 months": the plural by the language's rules (Romanian says
    "3 luni" but "30 de zile")."""
    if count == 1:
        return pages.text(f"upgrade.per_{unit}", locale)
    form = "few" if Locale.parse(locale).plural_form(count) == "few" else "other"
    return pages.text(f"upgrade.every_{unit}.{form}", locale, count=count)


def gain_text(gain: Gain, locale: str) -> str:
    """What a higher plan adds or raises, in a line, its numbers written as the visitor's
    language writes them (10.000 in Romanian, 10,000 in English), as the benefits are."""

    def number(value: Any) -> str:
        return format_decimal(value, locale=locale)

    if gain.kind == "boolean":
        return gain.name
    if gain.added or gain.before is False:
        if gain.value is None:
            return pages.text("home.unlimited", locale, name=gain.name)
        return pages.text("home.limit", locale, name=gain.name, limit=number(gain.value))
    if gain.value is None:
        return pages.text(
            "upgrade.unlimited_instead", locale, name=gain.name, before=number(gain.before)
        )
    return pages.text(
        "upgrade.raised",
        locale,
        name=gain.name,
        value=number(gain.value),
        before=number(gain.before),
    )


@router.post("/portal/getting-started/{step_id}/done")
async def mark_done(step_id: str, request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_mark_done, step_id, request, fields)


def _mark_done(step_id: str, request: Request, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        if not csrf.form_accepted(request, visitor.portal_session.id, STEP_DONE, fields):
            return pages.PAGES.render(
                request, "form_expired.html", visitor.frame(), 403, back_url="/portal"
            )
        tenant, customer_id = visitor.tenant, visitor.customer.id
        # Only a step of this customer's own guide: the domain completes any of the account's.
        mine = {step.id for step in onboarding.guide(session, tenant, customer_id).steps}
        if step_id not in mine:
            return pages.PAGES.render(request, "not_found.html", visitor.frame(), 404)
        now = request.app.state.clock.now()
        onboarding.complete(session, tenant, customer_id, step_id, "subscriber", now)
        return RedirectResponse("/portal#getting-started", status_code=303)
