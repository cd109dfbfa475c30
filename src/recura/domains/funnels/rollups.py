"""The worker's fold of the subscription events into the daily funnel rollups, and the
full rebuild.

Trial ends, entries into dunning and subscriptions that stopped paying are counted per
account day and plan (`metric_trials_daily`, `metric_dunning_daily`,
`metric_churn_kinds_daily`), so the funnel reads take rows per day and plan, never the
events. What comes later and changes a count already made (a payment recovering a trial
or a failed renewal, a trial's charge failing) is found through the subscription's state
(`metric_subscription_states`), so a batch never reads history.

As the MRR fold (`metrics/rollups.py`): events are folded in id order past a cursor of
`metric_cursors` (its own, `funnels`), `SETTLE` behind the clock, and the cursor moves in
the same transaction, so a rerun folds nothing twice. Every count is a sum, and a
subscription's state carries all a later event needs: folding in any pieces gives the
rows `rebuild` gives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row
from sqlalchemy.orm import Session

from recura import ids
from recura.core import funnels
from recura.db.models import (
    MetricChurnKindDaily,
    MetricDunningDaily,
    MetricSubscriptionState,
    MetricTrialDaily,
)
from recura.domains.common.tenant import Tenant
from recura.domains.funnels import counters, repository
from recura.domains.funnels.repository import SubscriptionKey
from recura.domains.metrics import repository as metric_repository
from recura.domains.metrics.rollups import SETTLE

CURSOR = "funnels"
BATCH = 1000
SQLITE_BATCH = 200
UPDATED, PAST_DUE, CANCELED = (
    "subscription.updated",
    "subscription.past_due",
    "subscription.canceled",
)
# The plan of an event that names none (not one Recura writes): a key column is not null.
NO_PLAN = ""
# A period is a month at most: an entry into dunning 31 days or more after the
# subscription's previous one is the first of whatever period it falls in.
GAP_NONE = 31


def fold_due(session: Session, now: datetime) -> int:
    """The worker's handler: fold a batch of the events made up to SETTLE before `now`."""
    horizon = ids.floor("event", int((now - SETTLE).timestamp() * 1000))
    return fold_events(session, before=horizon)


def fold_events(session: Session, before: str | None = None, limit: int = BATCH) -> int:
    """Fold up to `limit` subscription events past the cursor (ids below `before`);
    returns how many."""
    cursor = metric_repository.lock_cursor(session, CURSOR)
    found = repository.funnel_events(session, cursor.last_event_id, before, limit)
    if found:
        _fold(session, found)
        cursor.last_event_id = found[-1].id
    return len(found)


def rebuild(session: Session, tenant: Tenant | None = None, limit: int = BATCH) -> int:
    """Recompute the funnel rollups (of one tenant, or of every account) from the event
    log as far as the cursor has gone, and the daily checkout, cancellation and support
    counts from their rows (`counters.rebuild`); returns how many events were folded.
    Holds the cursor, so the worker's fold waits."""
    cursor = metric_repository.lock_cursor(session, CURSOR)
    repository.clear(session, tenant)
    counters.rebuild(session, tenant)
    if tenant is None:
        cursor.last_event_id = None  # everything again: the worker starts over
        return 0
    upto, last, done = cursor.last_event_id, None, 0
    if upto is None:
        return 0
    while True:
        # Ids up to the cursor's: `before` is exclusive, so one past it.
        found = repository.funnel_events(session, last, upto + "0", limit, tenant)
        if not found:
            return done
        _fold(session, found)
        last, done = found[-1].id, done + len(found)


@dataclass(slots=True)
class _State:
    """A subscription's `metric_subscription_states` row, as the fold changes it."""

    trial_at: datetime | None = None
    trial_day: date | None = None
    trial_plan: str | None = None
    trial_active: bool = False
    trial_failed: bool = False
    trial_recovered: bool = False
    entered_on: date | None = None
    unrecovered: list[list[Any]] = field(default_factory=list)
    recovered_at: datetime | None = None

    @property
    def converted(self) -> bool:
        """docs/metrics.md: the trial ended active and the charge at its end did not
        fail, or a later payment recovered it."""
        return self.trial_active and (not self.trial_failed or self.trial_recovered)


@dataclass(slots=True)
class _Counts:
    """What a batch adds to each rollup row."""

    trials: defaultdict[tuple[Any, ...], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )
    dunning: defaultdict[tuple[Any, ...], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )
    churn: defaultdict[tuple[Any, ...], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )


def _fold(session: Session, found: Sequence[Row[Any]]) -> None:
    keys: set[SubscriptionKey] = {(e.account_id, e.livemode, e.object_id) for e in found}
    states = {
        (r.account_id, r.livemode, r.subscription_id): _state(r)
        for r in repository.subscription_states(session, keys)
    }
    touched: set[SubscriptionKey] = set()
    counts = _Counts()
    for event in found:
        key = (event.account_id, event.livemode, event.object_id)
        if _fold_event(event, key, states, counts):
            touched.add(key)
    repository.save_subscription_states(
        session, [_state_row(key, states[key]) for key in sorted(touched)]
    )
    tenant = ("account_id", "livemode", "day", "plan_id")
    repository.add_to_rollup(
        session,
        MetricTrialDaily,
        tenant,
        [
            {**dict(zip(tenant, k, strict=True)), "ended": n, "converted": c}
            for k, (n, c) in counts.trials.items()
            if n or c
        ],
    )
    dunning_key = (*tenant, "gap")
    repository.add_to_rollup(
        session,
        MetricDunningDaily,
        dunning_key,
        [
            {**dict(zip(dunning_key, k, strict=True)), "entered": n, "recovered": r}
            for k, (n, r) in counts.dunning.items()
            if n or r
        ],
    )
    churn_key = (*tenant, "currency", "kind")
    repository.add_to_rollup(
        session,
        MetricChurnKindDaily,
        churn_key,
        [
            {**dict(zip(churn_key, k, strict=True)), "subscriptions": n, "mrr": mrr}
            for k, (n, mrr) in counts.churn.items()
        ],
    )


def _fold_event(
    event: Row[Any],
    key: SubscriptionKey,
    states: dict[SubscriptionKey, _State],
    counts: _Counts,
) -> bool:
    """Count one event; True when it changed its subscription's state."""
    data = event.data if isinstance(event.data, dict) else {}
    at: datetime = event.occurred_at
    day = at.astimezone(_zone(event.timezone)).date()
    plan = str(data.get("plan") or NO_PLAN)
    account, live, _ = key
    status = data.get("status")
    if (
        event.type in (UPDATED, CANCELED)
        and event.mrr_delta < 0
        and data.get("mrr") == 0
        and event.mrr_currency is not None
    ):
        # A paying subscription that stopped paying (its MRR went to 0).
        kind = funnels.churn_kind(str(status), data.get("reason")).value
        row = counts.churn[(account, live, day, plan, event.mrr_currency, kind)]
        row[0] += 1
        row[1] -= event.mrr_delta
    state = states.get(key)
    trial_ends = data.get("previous_status") == "trialing" and status != "trialing"
    recovers = event.type == UPDATED and data.get("change") == "payment_recovered"
    if state is None:
        if not (trial_ends or recovers or event.type == PAST_DUE):
            return False
        state = states[key] = _State()
    before = state.converted if state.trial_at is not None else None
    if trial_ends and state.trial_at is None:
        # A subscription leaves its trial once (lifecycle: none goes back to trialing).
        state.trial_at, state.trial_day, state.trial_plan = at, day, plan
        state.trial_active = status == "active"
        counts.trials[(account, live, day, plan)][0] += 1
        before = False
    if event.type == PAST_DUE:
        if state.trial_at == at:
            state.trial_failed = True  # the charge at the trial's end failed
        gap = GAP_NONE
        if state.entered_on is not None:
            gap = max(0, min(GAP_NONE, (day - state.entered_on).days))
        entered_now = counts.dunning[(account, live, day, plan, gap)]
        entered_now[0] += 1
        state.entered_on = day
        if state.recovered_at is not None and state.recovered_at >= at:
            # Recovered "at or after" it, as the definition reads: one instant's recovery.
            entered_now[1] += 1
        else:
            state.unrecovered.append([at.isoformat(), day.isoformat(), plan, gap])
    if recovers:
        state.recovered_at = at
        if state.trial_at is not None and at >= state.trial_at:
            state.trial_recovered = True
        waiting = []
        for entry in state.unrecovered:
            if datetime.fromisoformat(entry[0]) <= at:
                entered = (account, live, date.fromisoformat(entry[1]), entry[2], entry[3])
                counts.dunning[entered][1] += 1
            else:
                waiting.append(entry)
        state.unrecovered = waiting
    if before is not None and state.trial_day is not None and state.trial_plan is not None:
        change = int(state.converted) - int(before)
        if change:
            counts.trials[(account, live, state.trial_day, state.trial_plan)][1] += change
    return True


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _state(row: MetricSubscriptionState) -> _State:
    return _State(
        trial_at=row.trial_at,
        trial_day=row.trial_day,
        trial_plan=row.trial_plan,
        trial_active=row.trial_active,
        trial_failed=row.trial_failed,
        trial_recovered=row.trial_recovered,
        entered_on=row.entered_on,
        unrecovered=list(row.unrecovered),
        recovered_at=row.recovered_at,
    )


def _state_row(key: SubscriptionKey, state: _State) -> dict[str, Any]:
    account, live, sub = key
    return {
        "account_id": account,
        "livemode": live,
        "subscription_id": sub,
        "trial_at": state.trial_at,
        "trial_day": state.trial_day,
        "trial_plan": state.trial_plan,
        "trial_active": state.trial_active,
        "trial_failed": state.trial_failed,
        "trial_recovered": state.trial_recovered,
        "entered_on": state.entered_on,
        "unrecovered": state.unrecovered,
        "recovered_at": state.recovered_at,
    }
