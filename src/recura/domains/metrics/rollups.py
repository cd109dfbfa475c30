"""The worker's fold of the event log into the metric rollups, and the full rebuild.

Events that changed MRR are folded in id order past a cursor (`metric_cursors`), batch by
batch, with `core.metrics.fold_day`: each customer's state is read from
`metric_customer_states`, its day's movement replaces the one stored
(`mrr_movements`), and the day's totals (`metric_rollups_daily`) take the difference.
The customers a batch touched then have their month movements recomputed from their own
day movements (`core.metrics.month_movements`: each calendar month netted, with the
customer's cohort); the changed ones replace the stored (`mrr_month_movements`) and the
monthly totals per cohort (`metric_rollups_monthly`) take the difference, so the monthly
ratios and the cohorts read a row per month and cohort, not per customer.
Every total is kept over every customer and per the customers' country and acquisition
channel (as they are when folded; `move_customer` moves a customer's counts when they
change), so a filtered read costs what an unfiltered one does. And each customer is
folded per scope: over all its subscriptions, and over those of each plan and of each
product (`core.metrics.scoped_changes`), for the plan and product filters.
The cursor moves in the same transaction, so a rerun after a crash folds nothing twice.

Ids sort by the moment they were made, not committed: an event made before one already
folded could commit after it and be passed over. The fold therefore stays `SETTLE`
behind the clock (a transaction that stays open longer breaks the rule "long work
commits in chunks"). `rebuild` recomputes from the whole log and yields the same rows.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row
from sqlalchemy.orm import Session

from recura import ids
from recura.core import metrics
from recura.core.metrics import (
    CustomerState,
    Discount,
    MetricSettings,
    MonthMovement,
    Movement,
    MovementType,
    MrrChange,
    RecurringTerms,
)
from recura.core.money import Money
from recura.db.models.metric_rollup_daily import ALL, NONE
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.metrics import repository, settings
from recura.domains.metrics.repository import MonthKey, MovementKey, StateKey

CURSOR = "mrr"
BATCH = 1000
SQLITE_BATCH = 200
SETTLE = timedelta(minutes=10)
# The settings a rollup is folded with when the account changed none
# (`settings.folded_with` reads each account's).
ROLLUP_SETTINGS = settings.folded_with(None)

log = logging.getLogger(__name__)


def fold_due(session: Session, now: datetime) -> int:
    """The worker's handler: fold a batch of the events made up to SETTLE before `now`."""
    horizon = ids.floor("event", int((now - SETTLE).timestamp() * 1000))
    return fold_events(session, before=horizon)


def fold_events(session: Session, before: str | None = None, limit: int = BATCH) -> int:
    """Fold up to `limit` MRR-changing events past the cursor (with ids below `before`);
    returns how many."""
    cursor = repository.lock_cursor(session, CURSOR)
    found = repository.mrr_events(session, cursor.last_event_id, before, limit)
    if found:
        _fold(session, found)
        cursor.last_event_id = found[-1][0].id
    return len(found)


def rebuild(session: Session, tenant: Tenant | None = None, limit: int = BATCH) -> int:
    """Recompute the rollups (of one tenant, or of every account) from the event log as
    far as the cursor has gone; returns how many events were folded. Holding the cursor,
    so the worker's fold waits."""
    cursor = repository.lock_cursor(session, CURSOR)
    repository.clear(session, tenant)
    if tenant is None:
        # Everything again: the worker's fold picks up from the start.
        cursor.last_event_id = None
        return 0
    last, done = None, 0
    upto = cursor.last_event_id
    if upto is None:
        return 0
    while True:
        # Ids up to the cursor's: `before` is exclusive, so one past it.
        found = repository.mrr_events(session, last, upto + "0", limit, tenant)
        if not found:
            return done
        _fold(session, found)
        last, done = found[-1][0].id, done + len(found)


def change_of(
    event: Row[Any], zone: str, chosen: MetricSettings = ROLLUP_SETTINGS
) -> MrrChange | None:
    """An event's MRR change under the account's settings `chosen`, dated the account's
    day it happened.

    An event with `mrr_terms` sets the subscription's MRR to what they come to under
    `chosen` (`core.metrics.subscription_mrr`). One recorded before events carried them
    changes it by its `mrr_delta`: list price, whatever the settings (a renewal of then
    changed nothing). None for a renewal that changed nothing, and for an event that
    names no customer or currency (not one Recura writes), left out rather than stalling
    every account's fold behind it."""
    day = event.occurred_at.astimezone(_zone(zone)).date()
    data = event.data
    if not isinstance(data, dict) or "customer" not in data or event.mrr_currency is None:
        log.warning("event %s changes MRR but names no customer: not folded", event.id)
        return None
    mrr = None
    if "mrr_terms" in data:
        mrr = _mrr(data["mrr_terms"], event.mrr_currency, chosen)
    elif event.mrr_delta == 0 and event.type == "subscription.renewed":
        return None
    return MrrChange(
        day=day,
        customer=str(data["customer"]),
        subscription=event.object_id,
        currency=event.mrr_currency,
        delta=event.mrr_delta,
        ending=bool(data.get("cancel_at_period_end")) and data.get("status") != "canceled",
        mrr=mrr,
    )


def _mrr(stored: Any, currency: str, chosen: MetricSettings) -> int:
    """The MRR of an event's `mrr_terms` (`payloads.MrrTerms` JSON; null: none)."""
    if stored is None:
        return 0
    # A renewal pass repeats a few plans' terms thousands of times: each is read once.
    return _terms_mrr(json.dumps(stored, sort_keys=True), currency, chosen)


@lru_cache(maxsize=4096)
def _terms_mrr(stored: str, currency: str, chosen: MetricSettings) -> int:
    found = payloads.MrrTerms.model_validate_json(stored)
    terms = RecurringTerms(
        price=Money(found.price, currency),
        unit=found.interval,
        count=found.interval_count,
        discounts=tuple(Discount(Money(d.amount, currency), d.forever) for d in found.discounts),
        metered=None if found.metered is None else Money(found.metered, currency),
    )
    return metrics.subscription_mrr(terms, chosen).minor


_ZONES: dict[str, ZoneInfo] = {}


def _zone(name: str) -> ZoneInfo:
    if name not in _ZONES:
        _ZONES[name] = ZoneInfo(name)
    return _ZONES[name]


def _fold(session: Session, found: Sequence[tuple[Row[Any], str, dict[str, Any]]]) -> None:
    changes: dict[tuple[str, bool], list[tuple[MrrChange, str | None]]] = defaultdict(list)
    folded_with: dict[str, MetricSettings] = {}
    for event, zone, stored_settings in found:
        if event.account_id not in folded_with:
            folded_with[event.account_id] = settings.folded_with(stored_settings)
        change = change_of(event, zone, folded_with[event.account_id])
        if change is not None:
            plan = event.data.get("plan")
            changes[(event.account_id, event.livemode)].append((change, plan))
    customers: set[repository.CustomerKey] = {
        (account, live, c.customer, c.currency)
        for (account, live), items in changes.items()
        for c, _ in items
    }
    # (account, livemode, scope) -> (customer, currency) -> state
    stored: dict[tuple[str, bool, str], dict[tuple[str, str], CustomerState]] = defaultdict(dict)
    # (account, livemode) -> (customer, currency) -> plan or product -> state
    holding: dict[tuple[str, bool], dict[tuple[str, str], dict[str, CustomerState]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for row in repository.states(session, customers):
        state, customer_key = _state(row), (row.customer_id, row.currency)
        stored[(row.account_id, row.livemode, row.scope)][customer_key] = state
        if row.scope != ALL:
            holding[(row.account_id, row.livemode)][customer_key][row.scope] = state
    plans = {(account, plan) for (account, _), items in changes.items() for _, plan in items}
    products = repository.products_of(session, {(a, p) for a, p in plans if p is not None})
    state_rows: list[dict[str, Any]] = []
    new: dict[MovementKey, Movement | None] = {}
    # The customers whose state a change moved: a renewal that left its MRR as it was
    # touches none, and their month movements are not recomputed.
    folded: set[StateKey] = set()
    for (account, live), items in changes.items():
        scoped: dict[str, list[MrrChange]] = defaultdict(list)
        scoped[ALL] = [c for c, _ in items]
        for scope, change in metrics.scoped_changes(
            ((c, _scopes_of(account, plan, products)) for c, plan in items),
            holding[(account, live)],
        ):
            scoped[scope].append(change)
        for scope, scope_changes in scoped.items():
            states = stored[(account, live, scope)]
            touched, moved = metrics.fold_day(states, scope_changes, folded_with[account])
            for (customer, currency), state in touched.items():
                state_rows.append(_state_row((account, live, scope, customer, currency), state))
                folded.add((account, live, scope, customer, currency))
            for (day, customer, currency), movement in moved.items():
                new[(account, live, scope, day, currency, customer)] = movement
    old = {repository.movement_key(m): m for m in repository.movements_at(session, new.keys())}
    dimensions = repository.dimensions_for(session, folded)
    totals: DaySums = defaultdict(lambda: dict.fromkeys(repository.TOTALS, 0))
    for key, movement in new.items():
        account, live, scope, day, currency, customer = key
        before, at = old.get(key), (account, live, scope, day, currency)
        if before is not None:
            was_in = (before.country, before.channel)
            _count(totals, at, was_in, before.type, before.amount, -1)
        if movement is not None:
            now_in = _of(dimensions, account, customer)
            _count(totals, at, now_in, movement.type.value, movement.amount, 1)
    repository.save_states(session, state_rows)
    gone = [k for k, m in new.items() if m is None and k in old]
    rows = [
        {
            "account_id": k[0],
            "livemode": k[1],
            "scope": k[2],
            "day": k[3],
            "currency": k[4],
            "customer_id": k[5],
            "type": m.type.value,
            "amount": m.amount,
            **dict(zip(repository.DIMENSIONS, _of(dimensions, k[0], k[5]), strict=True)),
        }
        for k, m in new.items()
        if m is not None
    ]
    repository.replace_movements(session, gone, rows)
    _fold_months(session, folded, folded_with, dimensions)
    repository.add_to_totals(session, _day_rows(totals))


def _scopes_of(
    account: str, plan: str | None, products: dict[tuple[str, str], str]
) -> tuple[str, ...] | None:
    """The scopes a subscription of `plan` is in: the plan and its product (None: the
    event names no plan, so it stays where it was)."""
    if plan is None:
        return None
    product = products.get((account, plan))
    return (plan,) if product is None else (plan, product)


def _fold_months(
    session: Session,
    keys: set[StateKey],
    folded_with: dict[str, MetricSettings],
    dimensions: dict[tuple[str, str], Dimensions],
) -> None:
    """Recompute the month movements of the customers of `keys` from their day movements
    (as now written); store the changed ones and add the difference to the totals."""
    history: dict[tuple[str, bool, str], list[Movement]] = defaultdict(list)
    for account, live, scope, customer, currency, day, kind, amount in repository.movements_of(
        session, keys
    ):
        history[(account, live, scope)].append(
            Movement(day, customer, currency, MovementType(kind), amount)
        )
    new: dict[MonthKey, tuple[MonthMovement, Dimensions]] = {}
    for (account, live, scope), found in history.items():
        for m in metrics.month_movements(found, folded_with[account]):
            new[(account, live, scope, m.currency, m.month, m.customer)] = (
                m,
                _of(dimensions, account, m.customer),
            )
    old: dict[MonthKey, tuple[MonthMovement, Dimensions]] = {}
    for stored in repository.month_movements_of(session, keys):
        account, live, scope, customer, currency, month = stored[:6]
        old[(account, live, scope, currency, month, customer)] = _month_movement(stored)
    totals: MonthSums = defaultdict(lambda: dict.fromkeys(repository.MONTH_TOTALS, 0))
    for key in old.keys() | new.keys():
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        account, live, scope, currency, month, _ = key
        for found_row, sign in ((before, -1), (after, 1)):
            if found_row is not None:
                _count_month(totals, (account, live, scope, currency, month), *found_row, sign)
    changed = [k for k in new if old.get(k) != new[k]]
    repository.replace_month_movements(
        session,
        [k for k in old if k not in new],
        [_month_row(k, *new[k]) for k in changed],
    )
    repository.add_to_month_totals(session, _month_rows(totals))


# A customer's (country, acquisition channel) as the totals count them.
Dimensions = tuple[str, str]
# (account, livemode, scope, day, currency, country, channel) -> amounts and counts per
# type.
DaySums = dict[tuple[str, bool, str, date, str, str, str], dict[str, int]]
# (account, livemode, scope, currency, month, cohort, country, channel) -> the same, and
# joined.
MonthSums = dict[tuple[str, bool, str, str, date, date, str, str], dict[str, int]]


def _of(dimensions: dict[tuple[str, str], Dimensions], account: str, customer: str) -> Dimensions:
    return dimensions.get((account, customer), (NONE, NONE))


def _slices(dimensions: Dimensions) -> set[Dimensions]:
    """The totals a customer of `dimensions` is counted in: every customer's, its
    country's, its channel's, and both's."""
    country, channel = dimensions
    return {(ALL, ALL), (country, ALL), (ALL, channel), (country, channel)}


def _count(
    totals: DaySums,
    at: tuple[str, bool, str, date, str],
    dimensions: Dimensions,
    kind: str,
    amount: int,
    sign: int,
) -> None:
    """Add (sign 1) or take away (-1) a day movement in each of the totals it counts in."""
    for country, channel in _slices(dimensions):
        row = totals[(*at, country, channel)]
        row[kind] += sign * amount
        row[f"{kind}_customers"] += sign


def _count_month(
    totals: MonthSums,
    at: tuple[str, bool, str, str, date],
    movement: MonthMovement,
    dimensions: Dimensions,
    sign: int,
) -> None:
    """Add (sign 1) or take away (-1) a month movement in each of the totals it counts in."""
    for country, channel in _slices(dimensions):
        sums = totals[(*at, movement.cohort, country, channel)]
        if movement.type is not None:
            sums[movement.type.value] += sign * movement.amount
            sums[f"{movement.type.value}_customers"] += sign
        sums["joined"] += sign * movement.joined


def _day_rows(totals: DaySums) -> list[dict[str, Any]]:
    return [
        {
            "account_id": a,
            "livemode": lm,
            "scope": sc,
            "day": d,
            "currency": c,
            "country": co,
            "channel": ch,
            **values,
        }
        for (a, lm, sc, d, c, co, ch), values in totals.items()
        if any(values.values())
    ]


def _month_rows(totals: MonthSums) -> list[dict[str, Any]]:
    return [
        {
            "account_id": a,
            "livemode": lm,
            "scope": sc,
            "currency": c,
            "month": mo,
            "cohort": cohort,
            "country": co,
            "channel": ch,
            **values,
        }
        for (a, lm, sc, c, mo, cohort, co, ch), values in totals.items()
        if any(values.values())
    ]


def move_customer(
    session: Session, tenant: Tenant, customer: str, country: str | None, channel: str | None
) -> None:
    """A customer's country or acquisition channel changed: move its movements, and what
    they add to the totals, to the new ones (the metrics filter customers by what they
    are now). Holds the fold's cursor, so a batch folding this customer with the country
    or channel it read cannot commit around it; the totals over every customer do not
    change."""
    repository.lock_cursor(session, CURSOR)
    moved_to = (country or NONE, channel or NONE)
    days: DaySums = defaultdict(lambda: dict.fromkeys(repository.TOTALS, 0))
    for scope, currency, day, kind, amount, *counted_in in repository.customer_movements(
        session, tenant, customer
    ):
        at = (tenant.account_id, tenant.livemode, scope, day, currency)
        _count(days, at, (counted_in[0], counted_in[1]), kind, amount, -1)
        _count(days, at, moved_to, kind, amount, 1)
    months: MonthSums = defaultdict(lambda: dict.fromkeys(repository.MONTH_TOTALS, 0))
    for stored in repository.customer_month_movements(session, tenant, customer):
        movement, was_in = _month_movement(stored)
        scope = stored[2]
        at_month = (tenant.account_id, tenant.livemode, scope, movement.currency, movement.month)
        _count_month(months, at_month, movement, was_in, -1)
        _count_month(months, at_month, movement, moved_to, 1)
    repository.set_dimensions(session, tenant, customer, *moved_to)
    repository.add_to_totals(session, _day_rows(days))
    repository.add_to_month_totals(session, _month_rows(months))


def _month_movement(
    stored: repository.StoredMonthMovement,
) -> tuple[MonthMovement, Dimensions]:
    _, _, _, customer, currency, month, cohort, kind, amount, country, channel = stored
    moved = None if kind is None else MovementType(kind)
    return MonthMovement(month, customer, currency, cohort, moved, amount), (country, channel)


def _month_row(key: MonthKey, movement: MonthMovement, dimensions: Dimensions) -> dict[str, Any]:
    account, live, scope, currency, month, customer = key
    return {
        "account_id": account,
        "livemode": live,
        "scope": scope,
        "currency": currency,
        "month": month,
        "customer_id": customer,
        "cohort": movement.cohort,
        "type": None if movement.type is None else movement.type.value,
        "amount": movement.amount,
        "country": dimensions[0],
        "channel": dimensions[1],
    }


def _state(row: Row[Any]) -> CustomerState:
    return CustomerState(
        day=row.day,
        opening=row.opening,
        mrr=row.mrr,
        earned=row.earned,
        churned_on=row.churned_on,
        subscriptions={sub: (int(v[0]), bool(v[1])) for sub, v in row.subscriptions.items()},
    )


def _state_row(key: StateKey, state: CustomerState) -> dict[str, Any]:
    account, live, scope, customer, currency = key
    return {
        "account_id": account,
        "livemode": live,
        "scope": scope,
        "customer_id": customer,
        "currency": currency,
        "day": state.day,
        "opening": state.opening,
        "mrr": state.mrr,
        "earned": state.earned,
        "churned_on": state.churned_on,
        "subscriptions": {sub: [v[0], v[1]] for sub, v in state.subscriptions.items()},
    }
