"""Between the stored subscription and core.lifecycle: read its state, save a new one with
its events (each carrying the MRR change it causes) and its next due time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from recura.core import lifecycle
from recura.core.lifecycle import Status, SubscriptionState
from recura.core.money import round_fraction
from recura.db import bulk, records
from recura.db.models import Coupon, Subscription
from recura.db.records import SubscriptionLike, SubscriptionRow
from recura.domains.common.tenant import Tenant
from recura.domains.coupons import repository as coupons
from recura.domains.entitlements import service as entitlements
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.partner_perks import pool as partner_perks
from recura.domains.subscriptions.terms import Terms

# Events after which the customer's entitlements are the same as before (renewals run in
# bulk and never change them; a scheduled change applied at renewal comes through save()).
_SAME_ENTITLEMENTS = frozenset(
    {lifecycle.EventType.RENEWED.value, lifecycle.EventType.TRIAL_WILL_END.value}
)
# Statuses that count towards MRR: trials have not paid yet, the rest are not paying.
EARNING = frozenset({Status.ACTIVE, Status.PAST_DUE})
_FIELDS = [name for name in lifecycle.STATE_FIELDS if name != "pending_change"]
# What saving a new state (and a period's coupon use) can change on the row.
KEY = ("account_id", "id")
_STORED = [
    "account_id",
    "id",
    *_FIELDS,
    "pending_change",
    "mrr",
    "next_action_at",
    "trial_notice_sent",
    "coupon_id",
    "promotion_code_id",
    "discount_periods_left",
    "updated_at",
]


def state_of(sub: SubscriptionLike) -> SubscriptionState:
    values: dict[str, Any] = {name: getattr(sub, name) for name in _FIELDS}
    change = sub.pending_change
    return SubscriptionState(**values, pending_change=change["id"] if change else None)


def state_key(sub: SubscriptionLike) -> tuple[Any, ...]:
    """What `state_of` reads from the row: subscriptions with equal keys are in one state."""
    change = sub.pending_change
    return (*(getattr(sub, name) for name in _FIELDS), change["id"] if change else None)


def event(kind: str, at: datetime, current: SubscriptionState, **extra: Any) -> lifecycle.Event:
    """An event carrying the whole state, as core.lifecycle's own events do; the status
    is unchanged by what it reports."""
    data = {name: getattr(current, name) for name in lifecycle.STATE_FIELDS}
    return lifecycle.Event(kind, at, {**data, "previous_status": current.status, **extra})


def mrr_of(status: Status, terms: Terms) -> int:
    return terms.mrr() if status in EARNING else 0


def save(
    session: Session,
    tenant: Tenant,
    sub: Subscription,
    state: SubscriptionState,
    happened: list[lifecycle.Event],
    terms: Terms,
    now: datetime,
) -> None:
    """Store `state` and record `happened`; the MRR change goes on the last event. When
    what the customer may use can have changed, `entitlements.updated` follows, and the
    customer gets a code of each voucher perk newly granted. The events' MRR terms carry
    the discount of the coupon still on the subscription."""
    coupon = None
    if sub.coupon_id is not None:
        coupon = coupons.coupon_by_key(session, tenant.account_id, sub.coupon_id)
    rows = apply(sub, state, happened, terms, now, coupon=coupon)
    events.record_many(session, rows)
    if any(row["type"] not in _SAME_ENTITLEMENTS for row in rows):
        session.flush()  # the entitlements are read back from the rows just changed
        entitlements.record_update(session, tenant, sub.customer_id, now)
        partner_perks.grant(session, tenant, sub.customer_id, sub.id, now)


@dataclass(frozen=True, slots=True)
class Change:
    """A new state and what follows from it on given terms: the same for every subscription
    that was in the same state on the same terms, so a batch computes it once for them."""

    state: SubscriptionState
    happened: tuple[lifecycle.Event, ...]
    mrr: int
    # (price per period, interval unit, interval count) `mrr` comes from; None: it earns none.
    recurring: tuple[int, str, int] | None
    next_action_at: datetime | None
    # Each event's data, JSON-ready, without the subscription's own ids.
    payloads: tuple[dict[str, Any], ...]


def change(
    state: SubscriptionState,
    happened: list[lifecycle.Event],
    terms: Terms,
    *,
    trial_notice_sent: bool,
) -> Change:
    earning = state.status in EARNING
    interval = terms.interval
    return Change(
        state,
        tuple(happened),
        mrr_of(state.status, terms),
        (terms.period_amount(), interval.unit.value, interval.count) if earning else None,
        lifecycle.next_action_at(state, trial_notice_sent=trial_notice_sent),
        tuple(_payload(e.data) for e in happened),
    )


def apply(
    sub: SubscriptionLike,
    state: SubscriptionState,
    happened: list[lifecycle.Event],
    terms: Terms,
    now: datetime,
    *,
    coupon: Coupon | None = None,
) -> list[dict[str, Any]]:
    """Put `state` on the row; returns the event rows to record (a batch records many)."""
    found = change(state, happened, terms, trial_notice_sent=sub.trial_notice_sent)
    return apply_change(sub, found, now, coupon=coupon)


def apply_change(
    sub: SubscriptionLike,
    found: Change,
    now: datetime,
    *,
    coupon: Coupon | None = None,
    metered: int | None = None,
) -> list[dict[str, Any]]:
    """`apply` of a computed change (made with this subscription's trial_notice_sent).
    `coupon` discounts the subscription's periods now; `metered` is the usage its last
    ended period was charged (None: not metered, or not renewed here)."""
    state = found.state
    for name in _FIELDS:
        setattr(sub, name, getattr(state, name))
    sub.status = state.status.value
    if state.pending_change is None:
        sub.pending_change = None
    delta, sub.mrr = found.mrr - sub.mrr, found.mrr
    sub.next_action_at = found.next_action_at
    sub.updated_at = now
    happened, payloads = found.happened, found.payloads
    if not happened and delta:
        happened = (event(lifecycle.EventType.UPDATED.value, now, state, change="terms"),)
        payloads = (_payload(happened[0].data),)
    last = len(happened) - 1
    recurring = mrr_terms(found.recurring, coupon, sub.currency, metered)
    return [
        _row(sub, e.type, {**payload, "mrr_terms": recurring}, e.at, delta if index == last else 0)
        for index, (e, payload) in enumerate(zip(happened, payloads, strict=True))
    ]


def mrr_terms(
    recurring: tuple[int, str, int] | None,
    coupon: Coupon | None,
    currency: str,
    metered: int | None,
) -> dict[str, Any] | None:
    """`payloads.MrrTerms` as JSON: what the event's `mrr` comes from, with the facts the
    account's metric settings may add or take off (the discount, the usage); None when
    the subscription earns no MRR."""
    if recurring is None:
        return None
    price, unit, count = recurring
    discounts = []
    amount = _discount(coupon, price, currency)
    if coupon is not None and amount:
        discounts.append({"amount": amount, "forever": coupon.duration == "forever"})
    return {
        "price": price,
        "interval": unit,
        "interval_count": count,
        "discounts": discounts,
        "metered": metered,
    }


def _discount(coupon: Coupon | None, price: int, currency: str) -> int:
    """What `coupon` takes off a period of `price`, as an invoice computes it: never more
    than the price."""
    if coupon is None or price <= 0:
        return 0
    if coupon.percent_off is not None:
        return min(price, round_fraction(price * Fraction(coupon.percent_off) / 100))
    for off in coupon.amounts_off:
        if off["currency"] == currency:
            return min(price, int(off["amount"]))
    return 0


def store_many(session: Session, subs: Sequence[SubscriptionLike]) -> None:
    """Write what `apply` (and the coupon's period count) changed on many subscriptions
    with one statement; the rows exist, and each is held by this transaction's lock."""
    # One not in the database yet is left to the session's flush, which inserts it whole.
    stored = [s for s in subs if isinstance(s, SubscriptionRow) or inspect(s).persistent]
    read = [s for s in stored if isinstance(s, SubscriptionRow)]
    names = _STORED
    if len(read) == len(stored):
        # Records say what changed (a renewal: its period, next action, time): only that
        # is sent.
        names = [*KEY, *records.changed(read, _STORED[2:])]
    if len(names) > len(KEY):
        rows = [{c: getattr(s, c) for c in names} for s in stored]
        bulk.update_rows(session, Subscription, rows, KEY)
    for sub in stored:
        if isinstance(sub, Subscription):
            # The row holds these values now: the session must not write them again.
            for name in _STORED:
                set_committed_value(sub, name, getattr(sub, name))


def _payload(data: Mapping[str, Any]) -> dict[str, Any]:
    """A lifecycle event's data as `payloads.SubscriptionFields` JSON. The plan some
    changes name is the subscription's own by the time it is recorded: `_row` adds it."""
    fields = {k: v for k, v in data.items() if k != "plan"}
    return payloads.SubscriptionFields(**fields).json_data()


def _row(
    sub: SubscriptionLike, kind: str, payload: dict[str, Any], at: datetime, mrr_delta: int
) -> dict[str, Any]:
    """The event row of `payloads.SubscriptionData`: the shared state's JSON and this
    subscription's ids (renewal batches validate the state once per group)."""
    ids = {"id": sub.id, "customer": sub.customer_id, "plan": sub.plan_id, "mrr": sub.mrr}
    data = {**payload, **ids}
    tenant = Tenant(sub.account_id, sub.livemode)
    return events.json_row(
        tenant,
        payloads.EventType(kind),
        data,
        at,
        mrr_delta=mrr_delta,
        mrr_currency=sub.currency,
    )
