"""Changing a subscription from the portal: another plan of the product, seats, add-ons and
a promotion code; then a preview of exactly what will be invoiced and when, then confirm.

The preview is `changes.preview_change` at an instant `at`; confirming runs
`changes.change` at that same instant (as Stripe's `proration_date` does), so the invoice
is the preview to the cent. The confirm form carries the choices, `at` and a digest of the
subscription as previewed, all under its form key: changed fields are refused, and a
subscription changed since (by a first click of a double submit, or anything else) is
not changed again. Upgrades take effect now; downgrades at the period end unless the
account lets them happen now (`cancellations.portal.portal_change_request`).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from recura.core.lifecycle import IllegalTransition
from recura.db.models import Subscription
from recura.domains.cancellations import portal as portal_rules
from recura.domains.common.errors import ConflictError, DomainError, InvalidError
from recura.domains.plans import repository as plans
from recura.domains.subscriptions import change_options, changes
from recura.domains.subscriptions import repository as subscriptions_repository
from recura.domains.subscriptions.change_options import ChangeOptions
from recura.domains.subscriptions.changes import PlannedChange
from recura.domains.subscriptions.schemas import AddOnChoice, ChangeRequest
from recura.portal import own, pages
from recura.portal.own import Own

log = logging.getLogger(__name__)
router = APIRouter()
FORM = "change"
CONFIRM = "change_confirm"
CHANGEABLE = ("active", "trialing", "past_due")
# A preview can be confirmed for this long; then it is worked out again.
PREVIEW_LASTS = timedelta(minutes=30)
MAX_ADD_ON_QUANTITY = 1000
CODE_MAX = 40


@dataclass
class Choice:
    """The form's fields as read, and what is wrong with them (field -> message key)."""

    plan: str = ""
    quantity: str = ""
    add_ons: dict[str, str] = field(default_factory=dict)
    promotion_code: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def fields(self) -> dict[str, str]:
        """As the confirm form carries them, in a fixed order."""
        found = {"plan": self.plan, "quantity": self.quantity}
        found |= {f"add_on_{key}": value for key, value in sorted(self.add_ons.items())}
        found["promotion_code"] = self.promotion_code
        return found


def changeable(sub: Subscription) -> bool:
    return sub.status in CHANGEABLE and not sub.cancel_at_period_end


@router.get("/subscriptions/{subscription_id}/change")
def show(subscription_id: str, request: Request) -> Response:
    with pages.unit(request) as session:
        found = own.load(session, request, subscription_id)
        if not isinstance(found, Own):
            return found
        options = change_options.options(session, found.visitor.tenant, found.sub)
        return _form(request, found, options, _current(found.sub, options))


@router.post("/subscriptions/{subscription_id}/change")
async def preview(subscription_id: str, request: Request) -> Response:
    return await own.posted(request, subscription_id, _preview)


@router.post("/subscriptions/{subscription_id}/change/confirm")
async def confirm(subscription_id: str, request: Request) -> Response:
    return await own.posted(request, subscription_id, _confirm)


def _preview(request: Request, subscription_id: str, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        found = own.load(session, request, subscription_id)
        if not isinstance(found, Own):
            return found
        options = change_options.options(session, found.visitor.tenant, found.sub)
        choice = _read(fields, options)
        if not own.accepted(request, found, FORM, fields):
            return _form(request, found, options, choice, notice="page.form_expired", status=403)
        return _previewed(session, request, found, options, choice)


def _previewed(
    session: Session,
    request: Request,
    found: Own,
    options: ChangeOptions,
    choice: Choice,
    notice: str | None = None,
) -> Response:
    if not changeable(found.sub):
        return _form(request, found, options, choice, status=409)
    if choice.errors:
        return _form(request, found, options, choice, status=422)
    tenant, sub = found.visitor.tenant, found.sub
    try:
        data = _request(choice, options, found.visitor.customer.id, session, found)
        if data is None:
            choice.errors[""] = "change.error.nothing"
            return _form(request, found, options, choice, status=422)
        planned, draft = changes.preview_change(session, tenant, sub.id, data, found.visitor.now)
    except (DomainError, IllegalTransition) as error:
        choice.errors.update(_errors(error))
        return _form(request, found, options, choice, status=422)
    renewal = None
    if planned.effective == changes.PERIOD_END and draft is None:
        renewal = change_options.next_renewal(session, planned)
    at = _instant(planned.now)
    carried = {**choice.fields(), "at": at, "state": _state(session, found)}
    return pages.PAGES.render(
        request,
        "change_preview.html",
        found.visitor.frame(),
        sub=sub,
        plan_name=found.plan_name,
        new_plan=planned.new.plan.name,
        new_quantity=own.quantity(planned.new.quantity),
        new_add_ons=[(a.name, own.quantity(q)) for a, q in planned.new.add_ons],
        effective=planned.effective,
        effective_at=planned.effective_at,
        draft=draft,
        renewal=renewal,
        next_billing=_next_billing(planned, draft is not None),
        promotion_code=choice.promotion_code,
        carried=carried,
        confirm_key=_confirm_form(sub.id, carried),
        confirm_url=own.path(sub, "change/confirm"),
        back_url=own.path(sub, "change"),
        notice=notice,
        qty=own.quantity,
    )


def _next_billing(planned: PlannedChange, invoiced: bool) -> datetime | None:
    """When a change of interval invoiced now, which starts a new period today, is next
    billed (a trial's new cycle starts at its end instead: None)."""
    cycle = planned.cycle
    if cycle is None or not invoiced or cycle.first.start != planned.now:
        return None
    return cycle.first.end


def _confirm(request: Request, subscription_id: str, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        # Locked first: a second click waits for the first and then finds it done.
        found = own.load(session, request, subscription_id, lock=True)
        if not isinstance(found, Own):
            return found
        options = change_options.options(session, found.visitor.tenant, found.sub)
        carried = {name: fields.get(name, "") for name in _carried_names(fields)}
        choice = _read(fields, options)
        form = _confirm_form(found.sub.id, carried)
        if not own.accepted(request, found, form, fields) or choice.errors:
            return _form(request, found, options, choice, notice="page.form_expired", status=403)
        tenant, sub, now = found.visitor.tenant, found.sub, found.visitor.now
        if carried["state"] != _state(session, found):
            if _in_place(session, found, choice, options):
                return _done(session, request, found)  # a double submit's first click did it
            return _previewed(session, request, found, options, choice, "change.changed_since")
        at = _parse_instant(carried["at"])
        if at is None or at > now or now - at > PREVIEW_LASTS:
            return _previewed(session, request, found, options, choice, "change.preview_expired")
        try:
            data = _request(choice, options, found.visitor.customer.id, session, found, at)
            if data is None:
                return _form(request, found, options, choice, status=422)
            changes.change(session, tenant, sub.id, data, at)
        except (DomainError, IllegalTransition) as error:
            log.info("portal change of %s refused: %s", sub.id, error)
            choice.errors.update(_errors(error))
            return _form(request, found, options, choice, status=422)
        return _done(session, request, found)


def _done(session: Session, request: Request, found: Own) -> Response:
    sub = found.sub
    pending = sub.pending_change
    plan = plans.plan_by_key(session, found.visitor.tenant.account_id, sub.plan_id)
    return pages.PAGES.render(
        request,
        "change_done.html",
        found.visitor.frame(),
        sub=sub,
        plan_name=plan.name,
        scheduled=pending is not None,
        qty=own.quantity,
    )


# The form


def _current(sub: Subscription, options: ChangeOptions) -> Choice:
    return Choice(
        plan=sub.plan_id,
        quantity=own.quantity(sub.quantity),
        add_ons={a.add_on.id: own.quantity(a.quantity) for a in options.add_ons},
    )


def _form(
    request: Request,
    found: Own,
    options: ChangeOptions,
    choice: Choice,
    *,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    return pages.PAGES.render(
        request,
        "change.html",
        found.visitor.frame(),
        status,
        sub=found.sub,
        plan_name=found.plan_name,
        changeable=changeable(found.sub),
        options=options,
        choice=choice,
        notice=notice,
        post_url=own.path(found.sub, "change"),
        downgrade_now=found.visitor.account.portal_downgrade_timing == "now",
        qty=own.quantity,
    )


def _read(fields: dict[str, str], options: ChangeOptions) -> Choice:
    choice = Choice(
        plan=fields.get("plan", "").strip()[:40],
        quantity=fields.get("quantity", "").strip()[:24],
        promotion_code=fields.get("promotion_code", "").strip()[:CODE_MAX],
    )
    if choice.plan not in {p.plan.id for p in options.plans}:
        choice.errors["plan"] = "change.error.plan"
    if options.asks_seats:
        number = _number(choice.quantity)
        if number is None or number <= 0 or number != number.to_integral_value():
            choice.errors["quantity"] = "change.error.seats_number"
    for offered in options.add_ons:
        raw = fields.get(f"add_on_{offered.add_on.id}", "").strip()[:24] or "0"
        choice.add_ons[offered.add_on.id] = raw
        number = _number(raw)
        if number is None or not 0 <= number <= MAX_ADD_ON_QUANTITY or number % 1:
            choice.errors[f"add_on_{offered.add_on.id}"] = "change.error.add_on_number"
    return choice


def _number(raw: str) -> Decimal | None:
    try:
        number = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _request(
    choice: Choice,
    options: ChangeOptions,
    customer_id: str,
    session: Session,
    found: Own,
    at: datetime | None = None,
) -> ChangeRequest | None:
    """The change asked for, its timing decided by the account's rules; None when it
    changes nothing."""
    sub = found.sub
    quantity = _number(choice.quantity) if options.asks_seats else None
    add_ons = [
        AddOnChoice(add_on=key, quantity=number)
        for key, raw in choice.add_ons.items()
        if (number := _number(raw)) is not None and number > 0
    ]
    current = {a.add_on.id: a.quantity for a in options.add_ons if a.quantity > 0}
    same = (
        choice.plan == sub.plan_id
        and (quantity is None or quantity == sub.quantity)
        and {a.add_on: a.quantity for a in add_ons} == current
    )
    if same and not choice.promotion_code:
        return None
    data = ChangeRequest(
        plan=choice.plan,
        quantity=quantity,
        add_ons=add_ons,
        promotion_code=choice.promotion_code or None,
    )
    return portal_rules.portal_change_request(
        session,
        found.visitor.tenant,
        sub.id,
        data,
        at or found.visitor.now,
        customer_id=customer_id,
    )


def _errors(error: DomainError | IllegalTransition) -> dict[str, str]:
    """A domain error as the field it is about and a sentence key of the page."""
    if isinstance(error, IllegalTransition):
        return {"": "change.error.not_now"}
    if isinstance(error, ConflictError):
        return {"promotion_code": "change.error.has_discount"}
    if not isinstance(error, InvalidError):
        return {"": "change.error.general"}
    found: dict[str, str] = {}
    for item in error.errors:
        pointer = item.pointer
        if pointer.startswith("/plan"):
            found["plan"] = "change.error.plan_unavailable"
        elif pointer.startswith("/quantity"):
            found["quantity"] = "change.error.seats"
        elif pointer.startswith("/add_ons"):
            found[""] = "change.error.add_on"
        elif pointer.startswith(("/promotion_code", "/coupon")):
            found["promotion_code"] = "change.error.code"
        elif pointer.startswith("/effective"):
            found[""] = "change.error.in_arrears"
        else:
            found[""] = "change.error.general"
    return found


# Confirming what was previewed


def _in_place(session: Session, found: Own, choice: Choice, options: ChangeOptions) -> bool:
    """Whether the subscription already has the terms asked for, now or from its period
    end: a change already made (the code, once redeemed, is not asked for again)."""
    without_code = Choice(choice.plan, choice.quantity, dict(choice.add_ons))
    try:
        data = _request(without_code, options, found.visitor.customer.id, session, found)
    except (DomainError, IllegalTransition):
        return False
    if data is None:
        return True  # the terms are the ones asked for (a code alone: redeemed already)
    try:
        planned = changes.plan_change(
            session, found.visitor.tenant, found.sub, data, found.visitor.now
        )
    except (DomainError, IllegalTransition):
        return False
    return _waiting(found.sub, planned)


def _waiting(sub: Subscription, planned: PlannedChange) -> bool:
    pending = sub.pending_change
    if pending is None:
        return False
    new = planned.new
    return (
        pending.get("plan_version") == new.version.id
        and Decimal(pending.get("quantity", "0")) == new.quantity
        and _normal(pending.get("add_ons") or []) == _normal(new.add_on_quantities())
    )


def _normal(chosen: list[dict[str, str]]) -> list[tuple[str, Decimal]]:
    return sorted((c["add_on"], Decimal(c["quantity"])) for c in chosen)


def _state(session: Session, found: Own) -> str:
    """A digest of what the subscription bills on now: any change since the preview
    (renewal, another change, a discount, a pause) makes another."""
    sub = found.sub
    chosen = subscriptions_repository.chosen_add_ons(
        session, found.visitor.tenant.account_id, [sub.id]
    )
    parts: list[Any] = [
        sub.status,
        sub.plan_version_id,
        own.quantity(sub.quantity),
        sorted((a.id, own.quantity(q)) for _, q, a in chosen),
        (sub.pending_change or {}).get("id"),
        sub.coupon_id,
        _instant(sub.current_period_start),
        sub.cancel_at_period_end,
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _carried_names(fields: dict[str, str]) -> list[str]:
    names = ["plan", "quantity", "promotion_code", "at", "state"]
    names += sorted(n for n in fields if n.startswith("add_on_"))
    return names


def _confirm_form(subscription_id: str, carried: dict[str, str]) -> str:
    """The confirm form's name covers what it carries, so its key vouches for them."""
    ordered = sorted(carried.items())
    digest = hashlib.sha256(repr((subscription_id, ordered)).encode()).hexdigest()
    return f"{CONFIRM}:{digest}"


def _instant(at: datetime) -> str:
    return at.isoformat()


def _parse_instant(raw: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None
