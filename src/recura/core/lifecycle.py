"""Subscription lifecycle: pure transitions (state, aware `at`) -> (new state, events).

- `renew` rolls `active` and `past_due` (as Stripe: the next invoice is created while the
  last is retried), not `unpaid`: access is off, and an invoice is a tax document not to
  issue for service not delivered; recovered, it renews from its old period to catch up.
- Only `active` can be paused; pausing a trial is refused.
- Cancelling at period end means at the end of the term (trial end while trialing).
  `canceled_at` is when it was asked for (as in Stripe), `ended_at` when access ended;
  carried out late, it still ends at the term end, so nothing more is billed.
- A due scheduled change must be applied (and cleared) before end_trial, renew or resume
  start a period, so the period is billed on the new terms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Literal, get_args


class Status(StrEnum):
    """Subscription status; the values are stored and sent over the API."""

    INCOMPLETE = "incomplete"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    UNPAID = "unpaid"
    PAUSED = "paused"
    CANCELED = "canceled"
    # Its first payment never came (as Stripe's): ended, having granted nothing.
    INCOMPLETE_EXPIRED = "incomplete_expired"


class EventType(StrEnum):
    """Outbound event names; members are plain strings."""

    CREATED = "subscription.created"
    UPDATED = "subscription.updated"
    TRIAL_WILL_END = "subscription.trial_will_end"
    RENEWED = "subscription.renewed"
    PAUSED = "subscription.paused"
    RESUMED = "subscription.resumed"
    CANCELED = "subscription.canceled"
    PAST_DUE = "subscription.past_due"


FinalAction = Literal["cancel", "mark_unpaid", "leave_past_due"]
TRIAL_WILL_END_NOTICE: Final = timedelta(days=3)
# How long an incomplete subscription waits for its first payment (Stripe's 23 hours).
INCOMPLETE_EXPIRES_AFTER: Final = timedelta(hours=23)
# Ended for good: nothing moves them again.
ENDED: Final = frozenset({Status.CANCELED, Status.INCOMPLETE_EXPIRED})
_LIVE: Final = "incomplete trialing active past_due unpaid paused"

# Action -> (its verb in refusals, statuses it may start from); functions add conditions.
_TABLE: Final = {
    "activate": ("activate", "incomplete"),
    "expire_incomplete": ("expire", "incomplete"),
    "trial_will_end": ("send a trial-ending notice for", "trialing"),
    "end_trial": ("end the trial of", "trialing"),
    "renew": ("renew", "active past_due"),
    "payment_failed": ("record a failed payment for", "active past_due"),
    "payment_succeeded": ("record a payment for", "incomplete active past_due unpaid"),
    "retries_exhausted": ("end payment retries for", "past_due"),
    "cancel": ("cancel", _LIVE),
    # Not incomplete (no paid term), unpaid (access off), paused (period suspended).
    "cancel_at_period_end": ("schedule the cancellation of", "trialing active past_due"),
    # Unpaid too: a past_due one set to cancel keeps the flag when marked unpaid.
    "reactivate": ("reactivate", "trialing active past_due unpaid"),
    "pause": ("pause", "active"),
    "resume": ("resume", "paused"),
    "schedule_change": ("schedule a change for", _LIVE),
    "clear_change": ("clear the scheduled change of", _LIVE),
}
TRANSITIONS: Final[Mapping[str, frozenset[Status]]] = MappingProxyType(
    {action: frozenset(map(Status, names.split())) for action, (_, names) in _TABLE.items()}
)
# What due_actions() may return, in the order the worker should act on them:
DUE_ACTIONS: Final = (
    "expire_incomplete",
    "cancel",
    "apply_change",
    "end_trial",
    "renew",
    "resume",
    "trial_will_end",
)


class IllegalTransition(Exception):
    """`action` is not allowed from `status`; str() is the human reason (the API's 409)."""

    def __init__(self, action: str, status: Status, reason: str) -> None:
        super().__init__(action, status, reason)
        self.action, self.status, self.reason = action, status, reason

    def __str__(self) -> str:
        return self.reason


def _aware(value: datetime, name: str) -> datetime:
    if value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


@dataclass(frozen=True, slots=True)
class SubscriptionState:
    """Lifecycle fields of one subscription; construction rejects inconsistent ones."""

    status: Status
    current_period_start: datetime
    current_period_end: datetime
    trial_end: datetime | None = None
    cancel_at_period_end: bool = False
    canceled_at: datetime | None = None
    ended_at: datetime | None = None
    paused_at: datetime | None = None
    resume_at: datetime | None = None
    pending_change: str | None = None
    pending_change_at: datetime | None = None

    def __post_init__(self) -> None:
        # Coerced so that a status read back from the database as a str compares by identity.
        object.__setattr__(self, "status", status := Status(self.status))
        for name in _INSTANTS:
            value = getattr(self, name)
            if value is not None:
                _aware(value, name)
        canceled, paused = status in ENDED, status is Status.PAUSED
        ending, change = self.cancel_at_period_end, self.pending_change
        problems = {
            "empty period": self.current_period_start >= self.current_period_end,
            "no trial_end after the period start": status is Status.TRIALING
            and (self.trial_end is None or self.trial_end <= self.current_period_start),
            "ended_at iff canceled": canceled != (self.ended_at is not None),
            "cannot be set to cancel": ending and status not in TRANSITIONS["reactivate"],
            "canceled_at iff ending": (status is Status.CANCELED or ending)
            != (self.canceled_at is not None),
            "paused_at iff paused": paused != (self.paused_at is not None),
            "resume_at but not paused": not paused and self.resume_at is not None,
            "half a pending change": (change is None) != (self.pending_change_at is None),
        }
        for problem, found in problems.items():
            if found:
                raise ValueError(f"inconsistent {status} subscription: {problem}")


# Read once: a billing run builds a state per subscription, several times.
STATE_FIELDS: Final = tuple(f.name for f in fields(SubscriptionState))
_INSTANTS: Final = tuple(f.name for f in fields(SubscriptionState) if "datetime" in str(f.type))


@dataclass(frozen=True, slots=True)
class Event:
    """A domain event; `data` is a read-only snapshot of the new state plus details."""

    type: str
    at: datetime
    data: Mapping[str, object]

    def __post_init__(self) -> None:
        _aware(self.at, "at")
        # A private read-only copy: the caller's dict cannot change a published event.
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))


_Result = tuple[SubscriptionState, list[Event]]


def _check(action: str, state: SubscriptionState, at: datetime) -> None:
    _aware(at, "at")
    if state.status not in TRANSITIONS[action]:
        label = state.status.value.replace("_", " ")
        article = "an" if label[0] in "aeiou" else "a"
        reason = f"cannot {_TABLE[action][0]} {article} {label} subscription"
        raise IllegalTransition(action, state.status, reason)


def _require(ok: bool, action: str, state: SubscriptionState, reason: str) -> None:
    if not ok:
        raise IllegalTransition(action, state.status, reason)


def _emit(
    kind: EventType, at: datetime, was: Status | None, new: SubscriptionState, **extra: object
) -> _Result:
    data = {name: getattr(new, name) for name in STATE_FIELDS}
    return new, [Event(kind, at, {**data, "previous_status": was, **extra})]  # the whole state


def term_end(state: SubscriptionState) -> datetime:
    """When the current term ends: the trial end while trialing, else the period end."""
    trial_end = state.trial_end if state.status is Status.TRIALING else None
    return trial_end or state.current_period_end


def _end(
    state: SubscriptionState, at: datetime, ended: datetime, asked: datetime, why: str
) -> _Result:
    # Built afresh: pause, resume and any scheduled change all lapse with the subscription.
    start, end, trial_end = state.current_period_start, state.current_period_end, state.trial_end
    new = SubscriptionState(Status.CANCELED, start, end, trial_end, False, asked, ended)
    return _emit(EventType.CANCELED, at, state.status, new, reason=why)


def _no_due_change(action: str, state: SubscriptionState, at: datetime) -> None:
    due = state.pending_change_at is not None and state.pending_change_at <= at
    why = f"cannot {action.replace('_', ' ')}: apply the due change first"
    _require(not due, action, state, why)


def start(
    at: datetime,
    period_start: datetime,
    period_end: datetime,
    trial_end: datetime | None,
    requires_payment: bool,
) -> _Result:
    """A new subscription: trialing with a trial, else incomplete until its first payment."""
    status = Status.INCOMPLETE if requires_payment else Status.ACTIVE
    status = Status.TRIALING if trial_end is not None else status
    state = SubscriptionState(status, period_start, period_end, trial_end=trial_end)
    return _emit(EventType.CREATED, at, None, state)


def incomplete_expires_at(state: SubscriptionState) -> datetime:
    """When an incomplete subscription expires: an incomplete one is still in the first
    period it started with, so that period's start is when it was created."""
    return state.current_period_start + INCOMPLETE_EXPIRES_AFTER


def expire_incomplete(state: SubscriptionState, at: datetime) -> _Result:
    """incomplete -> incomplete_expired, once its first payment has not come in time."""
    _check("expire_incomplete", state, at)
    due = incomplete_expires_at(state)
    _require(at >= due, "expire_incomplete", state, f"cannot expire before {due.isoformat()}")
    # Built afresh, as an ending is: a change scheduled meanwhile lapses with it.
    start, end = state.current_period_start, state.current_period_end
    new = SubscriptionState(Status.INCOMPLETE_EXPIRED, start, end, ended_at=at)
    return _emit(EventType.UPDATED, at, state.status, new, change="incomplete_expired")


def activate(state: SubscriptionState, at: datetime) -> _Result:
    """incomplete -> active once the first payment is confirmed."""
    _check("activate", state, at)
    return payment_succeeded(state, at)


def trial_will_end(state: SubscriptionState, at: datetime) -> _Result:
    """The trial-ending notice; state unchanged. Sending it once is the caller's job."""
    _check("trial_will_end", state, at)
    _require(at < term_end(state), "trial_will_end", state, "cannot notify: the trial has ended")
    return _emit(EventType.TRIAL_WILL_END, at, state.status, state)


def end_trial(
    state: SubscriptionState, at: datetime, next_period_end: datetime, paid: bool
) -> _Result:
    """trialing -> active (paid) or past_due; canceled instead if set to cancel."""
    _check("end_trial", state, at)
    # Early, the trial ends now; late, paid time still starts at trial_end (the anchor).
    ends = min(at, term_end(state))
    if state.cancel_at_period_end:
        return _end(state, at, ends, state.canceled_at or at, "trial_end")
    _no_due_change("end_trial", state, at)
    if _aware(next_period_end, "next_period_end") <= ends:
        raise ValueError("next_period_end must be after the trial end")
    kind = EventType.UPDATED if paid else EventType.PAST_DUE
    # Status first: a trialing state may not start its period at or after its trial end.
    new = replace(state, status=Status.ACTIVE if paid else Status.PAST_DUE, trial_end=ends)
    new = replace(new, current_period_start=ends, current_period_end=next_period_end)
    return _emit(kind, at, state.status, new, change="trial_ended")


def renew(state: SubscriptionState, at: datetime, next_period_end: datetime) -> _Result:
    """Next period for active or past_due; ends it instead if set to cancel."""
    _check("renew", state, at)
    end = state.current_period_end
    _require(at >= end, "renew", state, f"cannot renew: not due before {end.isoformat()}")
    if state.cancel_at_period_end:
        return _end(state, at, end, state.canceled_at or at, "period_end")
    _no_due_change("renew", state, at)
    if _aware(next_period_end, "next_period_end") <= end:
        raise ValueError("next_period_end must be after current_period_end")
    # next_period_end may still be past: a late worker catches up one period per call.
    new = replace(state, current_period_start=end, current_period_end=next_period_end)
    return _emit(EventType.RENEWED, at, state.status, new)


def payment_failed(state: SubscriptionState, at: datetime) -> _Result:
    """active -> past_due; a further failure while past_due changes nothing."""
    _check("payment_failed", state, at)
    if state.status is Status.PAST_DUE:
        return state, []
    return _emit(EventType.PAST_DUE, at, state.status, replace(state, status=Status.PAST_DUE))


def payment_succeeded(state: SubscriptionState, at: datetime) -> _Result:
    """incomplete, past_due or unpaid -> active; already active changes nothing."""
    _check("payment_succeeded", state, at)
    if state.status is Status.ACTIVE:
        return state, []
    change = "activated" if state.status is Status.INCOMPLETE else "payment_recovered"
    new = replace(state, status=Status.ACTIVE)
    return _emit(EventType.UPDATED, at, state.status, new, change=change)


def retries_exhausted(state: SubscriptionState, at: datetime, final_action: FinalAction) -> _Result:
    """End of dunning for a past_due subscription: cancel it, mark it unpaid, or leave it."""
    if final_action not in get_args(FinalAction):
        raise ValueError(f"unknown final action {final_action!r}")
    _check("retries_exhausted", state, at)
    if final_action == "cancel":
        return _end(state, at, at, at, "retries_exhausted")
    if final_action == "mark_unpaid":
        new = replace(state, status=Status.UNPAID)
        return _emit(EventType.UPDATED, at, state.status, new, change="marked_unpaid")
    return state, []


def cancel(state: SubscriptionState, at: datetime, at_period_end: bool) -> _Result:
    """Cancel now, or at the end of the current term (trial end while trialing)."""
    _check("cancel_at_period_end" if at_period_end else "cancel", state, at)
    end = term_end(state)
    if (at_period_end or state.cancel_at_period_end) and at >= end:
        # Term over, renewal not run (or the worker is late): it ended at the term end.
        return _end(state, at, end, state.canceled_at or at, "period_end")
    if not at_period_end:
        return _end(state, at, at, at, "requested")
    if state.cancel_at_period_end:
        return state, []
    new = replace(state, cancel_at_period_end=True, canceled_at=at)
    return _emit(EventType.UPDATED, at, state.status, new, change="cancel_scheduled", cancel_at=end)


def reactivate(state: SubscriptionState, at: datetime) -> _Result:
    """Undo a cancellation scheduled for period end, while the term has not ended."""
    _check("reactivate", state, at)
    why = "the subscription is not set to cancel at period end"
    _require(state.cancel_at_period_end, "reactivate", state, f"cannot reactivate: {why}")
    _require(at < term_end(state), "reactivate", state, "cannot reactivate: the period has ended")
    new = replace(state, cancel_at_period_end=False, canceled_at=None)
    return _emit(EventType.UPDATED, at, state.status, new, change="reactivated")


def pause(state: SubscriptionState, at: datetime, resume_at: datetime | None) -> _Result:
    """active -> paused, optionally with an automatic resume time."""
    _check("pause", state, at)
    if resume_at is not None and _aware(resume_at, "resume_at") <= at:
        raise ValueError("resume_at must be after at")
    _require(not state.cancel_at_period_end, "pause", state, "cannot pause while set to cancel")
    new = replace(state, status=Status.PAUSED, paused_at=at, resume_at=resume_at)
    return _emit(EventType.PAUSED, at, state.status, new)


def resume(
    state: SubscriptionState, at: datetime, next_period_start: datetime, next_period_end: datetime
) -> _Result:
    """paused -> active in a new period; the caller chooses its anchor."""
    _check("resume", state, at)
    if _aware(next_period_start, "next_period_start") >= _aware(next_period_end, "next_period_end"):
        raise ValueError("next_period_start must be before next_period_end")
    _no_due_change("resume", state, at)
    new = replace(state, current_period_start=next_period_start, current_period_end=next_period_end)
    new = replace(new, status=Status.ACTIVE, paused_at=None, resume_at=None)
    return _emit(EventType.RESUMED, at, state.status, new, paused_at=state.paused_at)


def schedule_change(
    state: SubscriptionState, at: datetime, change_id: str, effective_at: datetime
) -> _Result:
    """Record that change `change_id` takes effect at `effective_at`; replaces an earlier one."""
    _check("schedule_change", state, at)
    if not isinstance(change_id, str) or not change_id:
        raise ValueError("change_id must be a non-empty string")
    if _aware(effective_at, "effective_at") < at:
        raise ValueError("effective_at must not be before at")
    # Later changes wait for the renewal; a paused subscription's period is suspended.
    end = max(term_end(state), effective_at) if state.status is Status.PAUSED else term_end(state)
    _require(at <= end, "schedule_change", state, "cannot schedule a change: the period has ended")
    if effective_at > end:
        raise ValueError(f"effective_at must not be after the current period end {end}")
    new = replace(state, pending_change=change_id, pending_change_at=effective_at)
    old = state.pending_change
    return _emit(EventType.UPDATED, at, state.status, new, change="change_scheduled", replaced=old)


def clear_change(state: SubscriptionState, at: datetime) -> _Result:
    """Forget the scheduled change (applied or withdrawn); nothing to clear is a no-op."""
    _check("clear_change", state, at)
    if state.pending_change is None:
        return state, []
    new = replace(state, pending_change=None, pending_change_at=None)
    cleared = state.pending_change
    return _emit(EventType.UPDATED, at, state.status, new, change="change_cleared", cleared=cleared)


def _windows(state: SubscriptionState, notice_sent: bool) -> dict[str, tuple[datetime, datetime]]:
    """Each action that can become due: from when, and until when (exclusive)."""
    end, never = term_end(state), datetime.max.replace(tzinfo=UTC)
    windows = {}
    # A scheduled cancellation replaces the renewal or trial end it coincides with.
    if state.cancel_at_period_end:
        windows["cancel"] = (end, never)
    elif state.status is Status.TRIALING:
        windows["end_trial"] = (end, never)
    elif state.status in TRANSITIONS["renew"]:
        windows["renew"] = (end, never)
    if state.pending_change_at is not None:
        windows["apply_change"] = (state.pending_change_at, never)
    if state.resume_at is not None:
        windows["resume"] = (state.resume_at, never)
    if state.status is Status.INCOMPLETE:
        windows["expire_incomplete"] = (incomplete_expires_at(state), never)
    if state.status is Status.TRIALING and not notice_sent:
        windows["trial_will_end"] = (end - TRIAL_WILL_END_NOTICE, end)
    return windows


def due_actions(
    state: SubscriptionState, at: datetime, *, trial_notice_sent: bool = False
) -> list[str]:
    """What the worker should do at `at`, in DUE_ACTIONS order: do the first, then ask again."""
    windows = _windows(state, trial_notice_sent)
    _aware(at, "at")
    return [a for a in DUE_ACTIONS if a in windows and windows[a][0] <= at < windows[a][1]]


def next_action_at(state: SubscriptionState, *, trial_notice_sent: bool = False) -> datetime | None:
    """Earliest instant at which due_actions() is non-empty, maybe past; None if never.

    Never (without an outside event) for canceled, expired, unpaid and paused without
    resume_at; an incomplete one expires. Pass trial_notice_sent once sent, or the notice
    time keeps coming back.
    """
    return min((start for start, _ in _windows(state, trial_notice_sent).values()), default=None)
