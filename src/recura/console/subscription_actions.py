"""Acting on a subscription from the console (`subscriptions.write`): change its plan or
seats, apply a coupon, cancel (now or at period end, with a reason), pause, resume, undo a
scheduled cancellation.

Each is a form on the subscription's page, then a page saying what will happen, then the
confirmation (`acting.py`). A change's page is `changes.preview_change`, the API's own
preview, at an instant the confirmation carries: confirming runs `changes.change` at that
same instant, so what is invoiced is the preview to the cent. The actions are the API's
(`subscriptions/actions.py`, `cancellations.cancel`), on the subscription locked first, and
each writes an audit entry with what it changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.console import acting, auth, pages
from recura.console import audit as console_audit
from recura.console import subscriptions as section
from recura.console.auth import Operator
from recura.core.lifecycle import IllegalTransition
from recura.db.models import Subscription
from recura.domains.audit import changes as audit_changes
from recura.domains.cancellations import reasons as cancel_reasons
from recura.domains.cancellations import service as cancellations
from recura.domains.common.errors import ConflictError, DomainError, InvalidError
from recura.domains.common.tenant import Tenant
from recura.domains.subscriptions import actions, changes
from recura.domains.subscriptions import repository as subscriptions
from recura.domains.subscriptions import service as subscription_service
from recura.domains.subscriptions.schemas import AddOnChoice, ChangeRequest

log = logging.getLogger(__name__)
router = APIRouter(prefix="/console/subscriptions")
WRITE = auth.require("subscriptions.write")
ACTIONS = ("change", "coupon", "cancel", "pause", "resume", "reactivate")
WATCHED = (
    "status",
    "plan_id",
    "quantity",
    "cancel_at_period_end",
    "coupon_id",
    "paused_at",
    "resume_at",
    "pending_change",
)


@dataclass
class Asked:
    """A form's fields as read, what is wrong with them (field -> sentence key), and the
    request they make."""

    fields: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    change: ChangeRequest | None = None


def _read(
    action: str,
    raw: dict[str, str],
    sub: Subscription,
    operator: Operator,
    current_add_ons: dict[str, Decimal],
) -> Asked:
    fields = {name: raw.get(name, "").strip()[:1000] for name in _names(action, raw)}
    asked = Asked(fields)
    errors = asked.errors
    if action == "change":
        chosen = _add_ons(fields, current_add_ons, errors)
        plan = fields["plan"][:40]
        quantity = acting.number(fields["quantity"]) if fields["quantity"] else None
        if quantity is not None and (quantity <= 0 or quantity > 100000):
            quantity = None
        if fields["quantity"] and quantity is None:
            errors["quantity"] = "act.error.quantity"
        if fields["effective"] not in ("", "now", "period_end"):
            errors["effective"] = "act.error.general"
        same_plan = plan in ("", sub.plan_id)
        same = same_plan and (quantity is None or quantity == sub.quantity) and chosen is None
        if same and not errors:
            errors[""] = "act.error.nothing"
        asked.change = ChangeRequest(
            plan=None if same_plan else plan,
            quantity=quantity,
            add_ons=chosen,
            effective=fields["effective"] or None,
        )
    elif action == "coupon":
        if not fields["coupon"]:
            errors["coupon"] = "act.error.coupon_missing"
        asked.change = ChangeRequest(coupon=fields["coupon"][:40] or None)
    elif action == "cancel":
        if fields["when"] not in ("now", "period_end"):
            errors["when"] = "act.error.when"
        codes = {r["code"] for r in cancel_reasons.reasons_of(operator.account)}
        if fields["reason"] and fields["reason"] not in codes:
            errors["reason"] = "act.error.general"
        if fields["prorate"] not in ("", "1"):
            errors["prorate"] = "act.error.general"
    elif action == "pause" and fields["resume_on"]:
        day = _resume_at(fields["resume_on"], operator)
        if day is None:
            errors["resume_on"] = "act.error.date"
    return asked


MAX_ADD_ONS = 20
MAX_ADD_ON_QUANTITY = 1000


def _names(action: str, raw: dict[str, str]) -> tuple[str, ...]:
    """The form's fields: the action's, and for a change each add-on's quantity."""
    if action != "change":
        return NAMES[action]
    add_ons = sorted(name for name in raw if name.startswith("add_on_"))[:MAX_ADD_ONS]
    return (*NAMES[action], *add_ons)


def _add_ons(
    fields: dict[str, str], current: dict[str, Decimal], errors: dict[str, str]
) -> list[AddOnChoice] | None:
    """The complete new set of add-ons the form asks for; None when it keeps the current."""
    if not any(name.startswith("add_on_") for name in fields):
        return None
    asked = {}
    for name, raw in fields.items():
        if not name.startswith("add_on_"):
            continue
        quantity = acting.number(raw or "0")
        if quantity is None or not 0 <= quantity <= MAX_ADD_ON_QUANTITY or quantity % 1:
            errors[name] = "act.error.add_on_quantity"
        elif quantity:
            asked[name.removeprefix("add_on_")] = quantity
    if asked == {key: q for key, q in current.items() if q}:
        return None
    return [AddOnChoice(add_on=key, quantity=value) for key, value in asked.items()]


def _current_add_ons(session: Session, sub: Subscription) -> dict[str, Decimal]:
    chosen = subscriptions.chosen_add_ons(session, sub.account_id, [sub.id])
    return {add_on.id: quantity for _, quantity, add_on in chosen}


NAMES = {
    "change": ("plan", "quantity", "effective"),
    "coupon": ("coupon",),
    "cancel": ("when", "prorate", "reason", "reason_text"),
    "pause": ("resume_on",),
    "resume": (),
    "reactivate": (),
}


def _resume_at(raw: str, operator: Operator) -> datetime | None:
    """A day typed as YYYY-MM-DD: its start in the account's time zone."""
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return datetime.combine(day, time(), ZoneInfo(operator.account.timezone))


def _state(session: Session, sub: Subscription) -> str:
    """A digest of what the subscription bills on now: any change since the preview
    (renewal, another change, a discount, a pause) makes another."""
    chosen = subscriptions.chosen_add_ons(session, sub.account_id, [sub.id])
    return acting.digest(
        [
            sub.status,
            sub.plan_version_id,
            acting.quantity(sub.quantity),
            sorted((a.id, acting.quantity(q)) for _, q, a in chosen),
            (sub.pending_change or {}).get("id"),
            sub.coupon_id,
            acting.instant(sub.current_period_start),
            sub.cancel_at_period_end,
            sub.paused_at and acting.instant(sub.paused_at),
        ]
    )


def _errors(error: DomainError | IllegalTransition) -> dict[str, str]:
    """A domain refusal as the field it is about and a sentence of the page."""
    if isinstance(error, IllegalTransition):
        return {"": "act.error.not_now"}
    if isinstance(error, ConflictError):
        return {"": "act.error.conflict"}
    if not isinstance(error, InvalidError):
        return {"": "act.error.general"}
    found: dict[str, str] = {}
    for item in error.errors:
        pointer = item.pointer
        if pointer.startswith("/plan"):
            found["plan"] = "act.error.plan"
        elif pointer.startswith("/quantity"):
            found["quantity"] = "act.error.quantity"
        elif pointer.startswith(("/coupon", "/promotion_code")):
            found["coupon"] = "act.error.coupon"
        elif pointer.startswith("/reason"):
            found["reason"] = "act.error.general"
        else:
            found[""] = "act.error.general"
    return found


def _endpoints(action: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    async def ask(
        subscription_id: str, request: Request, operator: Operator = Depends(WRITE)
    ) -> Response:
        fields = await pages.form(request)
        return await run_in_threadpool(
            _ask, request, operator, subscription_id[:64], action, fields
        )

    async def confirm(
        subscription_id: str, request: Request, operator: Operator = Depends(WRITE)
    ) -> Response:
        fields = await pages.form(request)
        return await run_in_threadpool(
            _confirm, request, operator, subscription_id[:64], action, fields
        )

    return ask, confirm


def _ask(
    request: Request, operator: Operator, subscription_id: str, action: str, raw: dict[str, str]
) -> Response:
    """The form sent: checked, then the page saying what will happen."""
    again = _again(request, operator, subscription_id, action, raw)
    if not auth.form_accepted(request, operator, f"sub_{action}_{subscription_id}", raw):
        return again({}, "page.form_expired", 403)
    now = request.app.state.clock.now()
    try:
        with pages.unit(request) as session:
            sub = subscriptions.find_by_key(session, operator.account.id, subscription_id)
            if sub is None:
                return auth.render(request, operator, "not_found.html", 404)
            asked = _read(action, raw, sub, operator, _current_add_ons(session, sub))
            if asked.errors:
                raise acting.Refused(asked.errors, None, 422)
            tenant = Tenant(sub.account_id, sub.livemode)
            draft = planned = None
            if asked.change is not None:
                try:
                    planned, draft = changes.preview_change(
                        session, tenant, sub.id, asked.change, now
                    )
                except (DomainError, IllegalTransition) as error:
                    raise acting.Refused(_errors(error), None, 422) from error
            carried = {**asked.fields, "at": acting.instant(now), "state": _state(session, sub)}
            found = section.seen(session, operator, sub)
            session.expunge_all()
    except acting.Refused as refused:
        return again(refused.errors, refused.notice, refused.status)
    return auth.render(
        request,
        operator,
        "subscription_confirm.html",
        seen=found,
        sub=found.sub,
        action=action,
        planned=planned,
        new_plan=None if planned is None else planned.new.plan.name,
        new_quantity=None if planned is None else acting.quantity(planned.new.quantity),
        new_add_ons=[]
        if planned is None
        else [(a.name, acting.quantity(q)) for a, q in planned.new.add_ons],
        draft=draft,
        fields=asked.fields,
        resume_at=_resume_at(asked.fields.get("resume_on", ""), operator),
        reason_label=dict(found.reasons).get(asked.fields.get("reason", ""), ""),
        coupon_name=_coupon_name(found, asked.fields.get("coupon", "")),
        carried=carried,
        confirm_key=acting.confirm_form(action, sub.id, carried),
        **section.helpers(operator),
    )


def _coupon_name(found: section.Seen, coupon_id: str) -> str:
    for coupon in found.coupons:
        if coupon.id == coupon_id:
            return coupon.name or coupon.code or coupon.id
    return coupon_id


def _again(
    request: Request, operator: Operator, subscription_id: str, action: str, raw: dict[str, str]
) -> Callable[[dict[str, str], str | None, int], HTMLResponse]:
    def shown(errors: dict[str, str], notice: str | None, status: int) -> HTMLResponse:
        values = {f"{action}.{name}": raw.get(name, "")[:1000] for name in _names(action, raw)}
        marked = {f"{action}.{name}": key for name, key in errors.items()}
        return section.page(
            request,
            operator,
            subscription_id,
            errors=marked,
            values=values,
            notice=notice,
            status=status,
        )

    return shown


def _confirm(
    request: Request, operator: Operator, subscription_id: str, action: str, raw: dict[str, str]
) -> Response:
    again = _again(request, operator, subscription_id, action, raw)
    carried = {name: raw.get(name, "") for name in (*_names(action, raw), "at", "state")}
    form = acting.confirm_form(action, subscription_id, carried)
    if not auth.form_accepted(request, operator, form, raw):
        return again({}, "page.form_expired", 403)
    now = request.app.state.clock.now()
    try:
        with pages.unit(request) as session:
            sub = subscriptions.find_by_key(session, operator.account.id, subscription_id)
            if sub is None:
                return auth.render(request, operator, "not_found.html", 404)
            tenant = Tenant(sub.account_id, sub.livemode)
            # Locked first: a second click waits for the first, then finds the state changed.
            sub = subscription_service.get_for_update(session, tenant, sub.id)
            at = acting.fresh(carried["at"], now)
            if carried["state"] != _state(session, sub):
                raise acting.Refused({}, "act.changed_since", 409)
            if at is None:
                raise acting.Refused({}, "act.preview_expired", 409)
            asked = _read(action, carried, sub, operator, _current_add_ons(session, sub))
            if asked.errors:
                raise acting.Refused(asked.errors, None, 422)
            before = audit_changes.snapshot(sub, WATCHED)
            try:
                _do(session, tenant, sub.id, action, asked, operator, at)
            except (DomainError, IllegalTransition) as error:
                log.info("console %s of %s refused: %s", action, sub.id, error)
                raise acting.Refused(_errors(error), None, 422) from error
            audit_changes.note(session, before, audit_changes.snapshot(sub, WATCHED))
            console_audit.record(
                session,
                request,
                operator,
                AUDITED[action],
                "subscription",
                sub.id,
                livemode=sub.livemode,
            )
    except acting.Refused as refused:
        return again(refused.errors, refused.notice, refused.status)
    return RedirectResponse(f"/console/subscriptions/{subscription_id}?done={action}", 303)


AUDITED = {
    "change": "subscription.change",
    "coupon": "subscription.coupon_apply",
    "cancel": "subscription.cancel",
    "pause": "subscription.pause",
    "resume": "subscription.resume",
    "reactivate": "subscription.reactivate",
}


def _do(
    session: Session,
    tenant: Tenant,
    sub_id: str,
    action: str,
    asked: Asked,
    operator: Operator,
    at: datetime,
) -> None:
    fields = asked.fields
    if asked.change is not None:
        changes.change(session, tenant, sub_id, asked.change, at)
    elif action == "cancel":
        when = {
            "at_period_end": fields["when"] == "period_end",
            "prorate": fields["prorate"] == "1",
        }
        if not fields["reason"] and not fields["reason_text"]:
            actions.cancel(session, tenant, sub_id, at, **when)
        else:
            cancellations.cancel(
                session,
                tenant,
                sub_id,
                at,
                customer_id=None,
                reason=fields["reason"] or None,
                reason_text=fields["reason_text"] or None,
                **when,
            )
    elif action == "pause":
        actions.pause(session, tenant, sub_id, at, _resume_at(fields["resume_on"], operator))
    elif action == "resume":
        actions.resume(session, tenant, sub_id, at)
    elif action == "reactivate":
        actions.reactivate(session, tenant, sub_id, at)


for _action in ACTIONS:
    _ask_endpoint, _confirm_endpoint = _endpoints(_action)
    router.add_api_route(
        f"/{{subscription_id}}/{_action}",
        _ask_endpoint,
        methods=["POST"],
        name=f"console_subscription_{_action}",
    )
    router.add_api_route(
        f"/{{subscription_id}}/{_action}/confirm",
        _confirm_endpoint,
        methods=["POST"],
        name=f"console_subscription_{_action}_confirm",
    )
