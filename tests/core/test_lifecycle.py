"""Tests for recura.core.lifecycle."""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from recura.core import lifecycle as lc
from recura.core.lifecycle import (
    DUE_ACTIONS,
    TRANSITIONS,
    Event,
    EventType,
    IllegalTransition,
    SubscriptionState,
)
from recura.core.lifecycle import Status as S

T0 = datetime(2025, 1, 31, 9, 30, tzinfo=UTC)
DAY = timedelta(days=1)
MONTH = timedelta(days=30)
END = T0 + MONTH
TE = T0 + 14 * DAY  # trial end
AT = T0 + 2 * DAY  # a time inside the period and the trial
NAIVE = datetime(2025, 2, 1)  # noqa: DTZ001
Result = tuple[SubscriptionState, list[Event]]


def new(status: S, start: datetime = T0, end: datetime = END, **fields: Any) -> SubscriptionState:
    return SubscriptionState(status, start, end, **fields)


def make(status: S, **fields: Any) -> SubscriptionState:
    """A consistent state in `status`, in the period [T0, END)."""
    extra: dict[str, Any] = {
        S.TRIALING: {"trial_end": TE},
        S.CANCELED: {"canceled_at": T0 + DAY, "ended_at": T0 + DAY},
        S.PAUSED: {"paused_at": T0 + DAY},
        S.INCOMPLETE_EXPIRED: {"ended_at": T0 + lc.INCOMPLETE_EXPIRES_AFTER},
    }.get(status, {})
    return new(status, **{**extra, **fields})


INC, TRI, ACT, DUE, UNP, PAU, CAN, EXP = (make(s) for s in S)
EXPIRES = T0 + lc.INCOMPLETE_EXPIRES_AFTER
ACT_ENDING = make(S.ACTIVE, cancel_at_period_end=True, canceled_at=T0 + DAY)
TRI_ENDING = make(S.TRIALING, cancel_at_period_end=True, canceled_at=T0 + DAY)
ACT_CHANGING = make(S.ACTIVE, pending_change="c", pending_change_at=END)


@dataclass(frozen=True)
class Args:
    """What a transition needs beyond (state, at); drawn in the stateful test."""

    days: int = 30
    flag: bool = True
    final: lc.FinalAction = "mark_unpaid"
    fraction: float = 1.0


def term_end(state: SubscriptionState) -> datetime:
    trial_end = state.trial_end if state.status is S.TRIALING else None
    return trial_end or state.current_period_end


def effective(state: SubscriptionState, at: datetime, args: Args) -> datetime:
    """A valid effective_at for schedule_change, where one exists."""
    if state.status is S.PAUSED:
        return at + args.fraction * MONTH
    return at + max(timedelta(0), term_end(state) - at) * args.fraction


ACTIONS: dict[str, Callable[[SubscriptionState, datetime, Args], Result]] = {
    "activate": lambda s, at, a: lc.activate(s, at),
    "expire_incomplete": lambda s, at, a: lc.expire_incomplete(s, at),
    "trial_will_end": lambda s, at, a: lc.trial_will_end(s, at),
    "end_trial": lambda s, at, a: lc.end_trial(s, at, min(at, term_end(s)) + a.days * DAY, a.flag),
    "renew": lambda s, at, a: lc.renew(s, at, s.current_period_end + a.days * DAY),
    "payment_failed": lambda s, at, a: lc.payment_failed(s, at),
    "payment_succeeded": lambda s, at, a: lc.payment_succeeded(s, at),
    "retries_exhausted": lambda s, at, a: lc.retries_exhausted(s, at, a.final),
    "cancel": lambda s, at, a: lc.cancel(s, at, False),
    "cancel_at_period_end": lambda s, at, a: lc.cancel(s, at, True),
    "reactivate": lambda s, at, a: lc.reactivate(s, at),
    "pause": lambda s, at, a: lc.pause(s, at, at + a.days * DAY if a.flag else None),
    "resume": lambda s, at, a: lc.resume(s, at, at, at + a.days * DAY),
    "schedule_change": lambda s, at, a: lc.schedule_change(s, at, "c", effective(s, at, a)),
    "clear_change": lambda s, at, a: lc.clear_change(s, at),
}

# Which event types announce that a subscription entered a status.
STATUS_EVENTS = {
    S.ACTIVE: {EventType.UPDATED, EventType.RENEWED, EventType.RESUMED},
    S.PAST_DUE: {EventType.PAST_DUE},
    S.UNPAID: {EventType.UPDATED},
    S.PAUSED: {EventType.PAUSED},
    S.CANCELED: {EventType.CANCELED},
    S.INCOMPLETE_EXPIRED: {EventType.UPDATED},
}


# --- every transition, by example -----------------------------------------------

A, NO_CARD = Args(), Args(flag=False)
GONE = make(S.CANCELED, canceled_at=AT, ended_at=AT)  # canceled at AT
PAID = new(S.ACTIVE, TE, TE + MONTH, trial_end=TE)
CHANGED = make(S.ACTIVE, pending_change="c", pending_change_at=AT)
PAU_CHANGING = make(S.PAUSED, pending_change="c", pending_change_at=AT)
PAU_LATER = replace(PAU_CHANGING, pending_change_at=END + MONTH)
TRI_CHANGING = make(S.TRIALING, pending_change="c", pending_change_at=TE)
CASES: list[tuple[str, SubscriptionState, datetime, Args, SubscriptionState, str]] = [
    ("activate", INC, AT, A, ACT, "updated"),
    ("expire_incomplete", INC, EXPIRES, A, EXP, "updated"),
    ("expire_incomplete", INC, AT, A, replace(EXP, ended_at=AT), "updated"),
    ("payment_succeeded", INC, AT, A, ACT, "updated"),
    ("payment_succeeded", DUE, AT, A, ACT, "updated"),
    ("payment_succeeded", UNP, AT, A, ACT, "updated"),
    ("payment_succeeded", ACT, AT, A, ACT, ""),
    ("payment_failed", ACT, AT, A, DUE, "past_due"),
    ("payment_failed", DUE, AT, A, DUE, ""),
    ("trial_will_end", TRI, TE - 3 * DAY, A, TRI, "trial_will_end"),
    ("end_trial", TRI, TE, A, PAID, "updated"),
    ("end_trial", TRI, TE + DAY, A, PAID, "updated"),  # late: the period still starts at TE
    ("end_trial", TRI, TE, NO_CARD, replace(PAID, status=S.PAST_DUE), "past_due"),
    ("end_trial", TRI, AT, A, new(S.ACTIVE, AT, AT + MONTH, trial_end=AT), "updated"),
    ("end_trial", TRI_ENDING, TE + DAY, A, make(S.CANCELED, trial_end=TE, ended_at=TE), "canceled"),
    ("renew", ACT, END + DAY, A, new(S.ACTIVE, END, END + MONTH), "renewed"),
    ("renew", DUE, END, A, new(S.PAST_DUE, END, END + MONTH), "renewed"),
    ("renew", ACT_ENDING, END + DAY, A, make(S.CANCELED, ended_at=END), "canceled"),
    ("retries_exhausted", DUE, AT, Args(final="cancel"), GONE, "canceled"),
    ("retries_exhausted", DUE, AT, Args(final="mark_unpaid"), UNP, "updated"),
    ("retries_exhausted", DUE, AT, Args(final="leave_past_due"), DUE, ""),
    ("cancel", ACT, AT, A, GONE, "canceled"),
    ("cancel", ACT_ENDING, AT, A, GONE, "canceled"),
    ("cancel", ACT_ENDING, END + 3 * DAY, A, make(S.CANCELED, ended_at=END), "canceled"),
    ("cancel", make(S.PAUSED, resume_at=END), AT, A, GONE, "canceled"),
    ("cancel", ACT_CHANGING, AT, A, GONE, "canceled"),
    ("cancel_at_period_end", ACT, T0 + DAY, A, ACT_ENDING, "updated"),
    ("cancel_at_period_end", TRI, T0 + DAY, A, TRI_ENDING, "updated"),
    ("cancel_at_period_end", ACT_ENDING, AT, A, ACT_ENDING, ""),
    ("cancel_at_period_end", ACT, END, A, replace(GONE, canceled_at=END, ended_at=END), "canceled"),
    ("reactivate", ACT_ENDING, AT, A, ACT, "updated"),
    ("reactivate", TRI_ENDING, TE - DAY, A, TRI, "updated"),
    ("pause", ACT, AT, A, make(S.PAUSED, paused_at=AT, resume_at=AT + MONTH), "paused"),
    ("pause", ACT, AT, NO_CARD, make(S.PAUSED, paused_at=AT), "paused"),
    ("resume", make(S.PAUSED, resume_at=AT), AT, A, new(S.ACTIVE, AT, AT + MONTH), "resumed"),
    ("schedule_change", ACT, AT, A, ACT_CHANGING, "updated"),
    ("schedule_change", ACT_CHANGING, AT, Args(fraction=0), CHANGED, "updated"),
    ("schedule_change", PAU, END, A, PAU_LATER, "updated"),  # no period bound while paused
    ("clear_change", ACT_CHANGING, AT, A, ACT, "updated"),
    ("clear_change", ACT, AT, A, ACT, ""),
]


@pytest.mark.parametrize(("action", "before", "at", "args", "after", "kinds"), CASES)
def test_transition(
    action: str,
    before: SubscriptionState,
    at: datetime,
    args: Args,
    after: SubscriptionState,
    kinds: str,
) -> None:
    state, events = ACTIONS[action](before, at, args)
    assert state == after
    assert [event.type for event in events] == [f"subscription.{kind}" for kind in kinds.split()]
    for event in events:
        assert event.at == at
        assert event.data["status"] == after.status
        assert event.data["previous_status"] == before.status


STARTS = [(TE, True, S.TRIALING), (None, True, S.INCOMPLETE), (None, False, S.ACTIVE)]


@pytest.mark.parametrize(("trial_end", "pay", "status"), STARTS)
def test_start(trial_end: datetime | None, pay: bool, status: S) -> None:
    state, events = lc.start(AT, T0, END, trial_end, pay)
    assert state == new(status, trial_end=trial_end)
    assert [(e.type, e.at, e.data["status"]) for e in events] == [(EventType.CREATED, AT, status)]


def test_event_details() -> None:
    [scheduled] = ACTIONS["cancel_at_period_end"](TRI, AT, Args())[1]
    assert scheduled.data["cancel_at"] == TE
    [ended] = lc.renew(ACT_ENDING, END + DAY, END + MONTH)[1]
    assert ended.data["reason"] == "period_end"
    [replaced] = lc.schedule_change(ACT_CHANGING, AT, "d", AT)[1]
    assert (replaced.data["pending_change"], replaced.data["replaced"]) == ("d", "c")
    [cleared] = lc.clear_change(ACT_CHANGING, AT)[1]
    assert cleared.data["cleared"] == "c"


# --- refusals -----------------------------------------------------------------------


def test_the_table_names_every_action_and_the_ended_are_terminal() -> None:
    assert set(TRANSITIONS) == set(ACTIONS)
    assert all(not (lc.ENDED & sources) for sources in TRANSITIONS.values())
    assert len(DUE_ACTIONS) == 7


ILLEGAL = [(a, s) for a in sorted(TRANSITIONS) for s in S if s not in TRANSITIONS[a]]


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_actions_from_statuses_outside_the_table_are_refused(action: str, status: S) -> None:
    with pytest.raises(IllegalTransition) as caught:
        ACTIONS[action](make(status), AT, Args())
    assert (caught.value.action, caught.value.status) == (action, status)
    label = status.replace("_", " ")
    assert re.fullmatch(rf"cannot [a-z -]+ an? {label} subscription", str(caught.value))


REFUSALS = [
    ("pause", CAN, AT, "cannot pause a canceled subscription"),
    ("pause", TRI, AT, "cannot pause a trialing subscription"),
    ("pause", ACT_ENDING, AT, "cannot pause while set to cancel"),
    ("cancel", CAN, AT, "cannot cancel a canceled subscription"),
    ("activate", ACT, AT, "cannot activate an active subscription"),
    ("activate", EXP, AT, "cannot activate an incomplete expired subscription"),
    (
        "payment_succeeded",
        EXP,
        AT,
        "cannot record a payment for an incomplete expired subscription",
    ),
    ("expire_incomplete", INC, EXPIRES - DAY, f"cannot expire before {EXPIRES.isoformat()}"),
    ("retries_exhausted", UNP, AT, "cannot end payment retries for an unpaid subscription"),
    ("reactivate", ACT, AT, "cannot reactivate: the subscription is not set to cancel at period "),
    ("reactivate", ACT_ENDING, END, "cannot reactivate: the period has ended"),
    ("renew", ACT, AT, f"cannot renew: not due before {END.isoformat()}"),
    ("renew", ACT_CHANGING, END, "cannot renew: apply the due change first"),
    ("end_trial", TRI_CHANGING, TE, "cannot end trial: apply the due change first"),
    ("resume", PAU_CHANGING, AT, "cannot resume: apply the due change first"),
    ("trial_will_end", TRI, TE, "cannot notify: the trial has ended"),
    ("schedule_change", ACT, END + DAY, "cannot schedule a change: the period has ended"),
    ("schedule_change", CAN, AT, "cannot schedule a change for a canceled subscription"),
]


@pytest.mark.parametrize(("action", "before", "at", "reason"), REFUSALS)
def test_refusal_reasons(action: str, before: SubscriptionState, at: datetime, reason: str) -> None:
    with pytest.raises(IllegalTransition, match=f"^{re.escape(reason)}"):
        ACTIONS[action](before, at, Args())


BAD_ARGUMENTS: list[tuple[Callable[[], object], str]] = [
    (lambda: lc.start(AT, T0, END, T0, False), "inconsistent trialing"),
    (lambda: lc.start(NAIVE, T0, END, None, False), "timezone-aware"),
    (lambda: lc.pause(ACT, NAIVE, None), "timezone-aware"),
    (lambda: lc.due_actions(ACT, NAIVE), "timezone-aware"),
    (lambda: lc.end_trial(TRI, TE, TE, True), "next_period_end"),
    (lambda: lc.renew(ACT, END, END), "next_period_end"),
    (lambda: lc.pause(ACT, AT, AT), "resume_at"),
    (lambda: lc.resume(PAU, AT, END, AT), "next_period_start"),
    (lambda: lc.schedule_change(ACT, AT, "c", T0), "before at"),
    (lambda: lc.schedule_change(ACT, AT, "c", END + DAY), "current period end"),
    (lambda: lc.schedule_change(ACT, AT, "", END), "change_id"),
    (lambda: lc.retries_exhausted(DUE, AT, "explode"), "final action"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("call", "message"), BAD_ARGUMENTS)
def test_bad_arguments_raise_value_error(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "fields",
    [
        {"status": S.ACTIVE, "end": T0},
        {"status": S.TRIALING},
        {"status": S.CANCELED},
        {"status": S.ACTIVE, "ended_at": T0},
        {"status": S.ACTIVE, "cancel_at_period_end": True},
        {"status": S.INCOMPLETE, "cancel_at_period_end": True, "canceled_at": T0},
        {"status": S.PAUSED},
        {"status": S.ACTIVE, "resume_at": END},
        {"status": S.ACTIVE, "pending_change": "c"},
        {"status": S.ACTIVE, "trial_end": NAIVE},
    ],
)
def test_inconsistent_states_are_rejected(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"inconsistent|timezone-aware"):
        new(**fields)


def test_values_read_back_from_storage() -> None:
    assert new("past_due").status is S.PAST_DUE  # type: ignore[arg-type]
    error = IllegalTransition("pause", S.CANCELED, "cannot pause a canceled subscription")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301
    assert (copy.action, copy.status, str(copy)) == ("pause", S.CANCELED, str(error))
    source = {"status": "active"}
    event = Event(EventType.UPDATED, T0, source)
    source["status"] = "canceled"
    assert event.data["status"] == "active"
    with pytest.raises(TypeError):
        event.data["status"] = "x"  # type: ignore[index]


# --- due work -----------------------------------------------------------------------


def test_due_actions_over_a_trial() -> None:
    assert lc.due_actions(TRI, T0) == []
    assert lc.next_action_at(TRI) == TE - 3 * DAY
    assert lc.due_actions(TRI, TE - 3 * DAY) == ["trial_will_end"]
    assert lc.due_actions(TRI, TE - DAY, trial_notice_sent=True) == []
    assert lc.next_action_at(TRI, trial_notice_sent=True) == TE
    assert lc.due_actions(TRI, TE) == ["end_trial"]
    assert lc.due_actions(TRI_ENDING, TE, trial_notice_sent=True) == ["cancel"]


def test_due_actions_come_in_worker_order() -> None:
    assert lc.next_action_at(ACT_CHANGING) == END
    assert lc.due_actions(ACT_CHANGING, END) == ["apply_change", "renew"]
    ending = replace(ACT_CHANGING, cancel_at_period_end=True, canceled_at=T0)
    assert lc.due_actions(ending, END) == ["cancel", "apply_change"]
    paused = make(S.PAUSED, resume_at=T0 + 5 * DAY)
    assert lc.next_action_at(paused) == T0 + 5 * DAY
    assert lc.due_actions(paused, T0 + 5 * DAY) == ["resume"]
    assert lc.due_actions(DUE, END) == ["renew"]


def test_an_incomplete_subscription_expires_23_hours_after_it_started() -> None:
    assert lc.next_action_at(INC) == EXPIRES
    assert lc.due_actions(INC, EXPIRES - timedelta(microseconds=1)) == []
    assert lc.due_actions(INC, EXPIRES) == ["expire_incomplete"]
    after, (event,) = lc.expire_incomplete(INC, EXPIRES + DAY)
    assert (after.status, after.ended_at) == (S.INCOMPLETE_EXPIRED, EXPIRES + DAY)
    assert (event.type, event.data["change"], event.data["previous_status"]) == (
        EventType.UPDATED,
        "incomplete_expired",
        S.INCOMPLETE,
    )
    assert lc.next_action_at(after) is None


@pytest.mark.parametrize("state", [CAN, UNP, PAU, EXP])
def test_nothing_is_ever_due_without_an_outside_event(state: SubscriptionState) -> None:
    assert lc.next_action_at(state) is None
    assert lc.due_actions(state, T0 + 100 * MONTH) == []


# --- stateful -----------------------------------------------------------------------


class Lifecycle(RuleBasedStateMachine):
    """Random actions at non-decreasing times, checking the invariants after each step."""

    state: SubscriptionState
    now: datetime = T0
    notice_sent = False

    @initialize(trial_days=st.none() | st.integers(1, 40), pay=st.booleans())
    def begin(self, trial_days: int | None, pay: bool) -> None:
        trial_end = None if trial_days is None else self.now + trial_days * DAY
        self.state, events = lc.start(
            self.now, self.now, trial_end or self.now + MONTH, trial_end, pay
        )
        assert [(event.type, event.at) for event in events] == [(EventType.CREATED, self.now)]
        self.notice_sent = False

    # A canceled subscription stays canceled (checked below); a new one keeps the run useful.
    @precondition(lambda self: self.state.status in lc.ENDED)
    @rule(trial_days=st.none() | st.integers(1, 40), pay=st.booleans())
    def begin_again(self, trial_days: int | None, pay: bool) -> None:
        self.begin(trial_days, pay)

    def apply(self, transition: Callable[[], Result], before: SubscriptionState) -> None:
        after, events = transition()
        assert all(event.at == self.now for event in events)
        assert all(event.data["status"] == after.status for event in events)
        if not events:
            assert after == before, "a transition changed the state silently"
        if after.status is not before.status:
            assert {event.type for event in events} & STATUS_EVENTS[after.status]
        self.notice_sent |= EventType.TRIAL_WILL_END in [event.type for event in events]
        self.state = after

    @rule(
        action=st.sampled_from(sorted(ACTIONS)),
        hours=st.integers(0, 48) | st.integers(0, 20 * 24),  # often soon, sometimes late
        days=st.integers(1, 60),
        flag=st.booleans(),
        final=st.sampled_from(["cancel", "mark_unpaid", "leave_past_due"]),
        fraction=st.sampled_from([0.0, 0.3, 1.0]),
    )
    def act(self, action: str, hours: int, **args: Any) -> None:
        self.now += timedelta(hours=hours)
        before, refused = self.state, None
        try:
            self.apply(lambda: ACTIONS[action](before, self.now, Args(**args)), before)
        except IllegalTransition as error:
            refused = error
        if refused is None:
            assert before.status in TRANSITIONS[action]
        else:
            assert (refused.action, refused.status) == (action, before.status)
            assert self.state == before

    @rule(hours=st.integers(0, 48) | st.integers(0, 40 * 24), paid=st.booleans())
    def worker(self, hours: int, paid: bool) -> None:
        """Do the first due action, as the worker would; it must always be allowed."""
        self.now += timedelta(hours=hours)
        before = self.state
        due = lc.due_actions(before, self.now, trial_notice_sent=self.notice_sent)
        if due:
            action = "clear_change" if due[0] == "apply_change" else due[0]
            self.apply(lambda: ACTIONS[action](before, self.now, Args(flag=paid)), before)

    @invariant()
    def consistent(self) -> None:
        state = self.state
        canceled = state.status is S.CANCELED
        assert (state.ended_at is not None) == (state.status in lc.ENDED)
        assert state.current_period_start < state.current_period_end
        assert not (canceled and state.cancel_at_period_end)

    @invariant()
    def ended_is_terminal(self) -> None:
        if self.state.status in lc.ENDED:
            for action, transition in ACTIONS.items():
                with pytest.raises(IllegalTransition) as refused:
                    transition(self.state, self.now, Args())
                assert refused.value.action == action

    @invariant()
    def next_action_agrees_with_due_actions(self) -> None:
        state, sent = self.state, self.notice_sent
        when = lc.next_action_at(state, trial_notice_sent=sent)
        if when is None:
            assert lc.due_actions(state, self.now + 120 * MONTH, trial_notice_sent=sent) == []
            return
        assert state.status not in lc.ENDED
        assert lc.due_actions(state, when, trial_notice_sent=sent)
        assert not lc.due_actions(state, when - timedelta(microseconds=1), trial_notice_sent=sent)
        if when < self.now:  # already past: then something is due now
            assert lc.due_actions(state, self.now, trial_notice_sent=sent)


TestLifecycle = Lifecycle.TestCase
TestLifecycle.settings = settings(max_examples=400, stateful_step_count=40, deadline=None)
