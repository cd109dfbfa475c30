from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recura.core.dunning import DEFAULT_RETRY_DAYS, check_schedule, next_retry_at

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_default_schedule_retries_after_one_three_five_and_seven_days() -> None:
    at, seen = T0, []
    while (at := next_retry_at(T0, at, DEFAULT_RETRY_DAYS)) is not None:  # type: ignore[assignment]
        seen.append((at - T0).days)
    assert seen == [1, 3, 5, 7]


def test_an_extra_attempt_between_retries_does_not_shift_the_schedule() -> None:
    # A new card on day 2 is tried at once; it fails too: the next retry is still day 3.
    assert next_retry_at(T0, T0 + timedelta(days=2), DEFAULT_RETRY_DAYS) == T0 + timedelta(days=3)


def test_a_late_worker_skips_the_retries_it_missed() -> None:
    assert next_retry_at(T0, T0 + timedelta(days=4), DEFAULT_RETRY_DAYS) == T0 + timedelta(days=5)
    assert next_retry_at(T0, T0 + timedelta(days=7), DEFAULT_RETRY_DAYS) is None


def test_no_retries_means_the_first_failure_is_final() -> None:
    assert next_retry_at(T0, T0, ()) is None


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ((3, 1), "strictly increasing"),
        ((1, 1), "strictly increasing"),
        ((0,), "1 to 60"),
        ((61,), "1 to 60"),
        (tuple(range(1, 14)), "at most 12"),
        ((True,), "whole numbers"),
    ],
)
def test_bad_schedules_are_refused(days: tuple[int, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_schedule(days)


def test_naive_and_backwards_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_retry_at(T0.replace(tzinfo=None), T0, DEFAULT_RETRY_DAYS)
    with pytest.raises(ValueError, match="before the first failure"):
        next_retry_at(T0, T0 - timedelta(seconds=1), DEFAULT_RETRY_DAYS)


schedules = st.lists(st.integers(1, 60), min_size=0, max_size=12, unique=True).map(sorted)


@given(schedules, st.lists(st.integers(0, 70 * 86400), max_size=20))
def test_retries_are_ahead_on_the_schedule_and_finite(days: list[int], offsets: list[int]) -> None:
    failures = sorted(T0 + timedelta(seconds=s) for s in offsets)
    retries = set()
    for failed_at in failures:
        due = next_retry_at(T0, failed_at, days)
        if due is None:
            assert all(T0 + timedelta(days=d) <= failed_at for d in days)
            continue
        assert due > failed_at
        assert (due - T0).days in days
        retries.add(due)
    assert len(retries) <= len(days)
