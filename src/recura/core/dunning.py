"""When to retry a failed charge, and when to stop.

Retries are due a number of days after the first failure (default 1, 3, 5 and 7). The next
retry is the first one still ahead of the failure just recorded, so an extra attempt (a new
card was attached) or a worker that ran late never shifts the schedule or bunches retries;
when none is ahead, retries are exhausted and the account's final action applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Final

DEFAULT_RETRY_DAYS: Final = (1, 3, 5, 7)
MAX_RETRIES: Final = 12
MAX_RETRY_DAY: Final = 60


def check_schedule(retry_days: Sequence[int]) -> tuple[int, ...]:
    """A schedule is strictly increasing whole days, 1 to 60, at most 12 retries (or none)."""
    days = tuple(retry_days)
    if any(isinstance(d, bool) or not isinstance(d, int) for d in days):
        raise ValueError("retry days must be whole numbers of days")
    if len(days) > MAX_RETRIES:
        raise ValueError(f"at most {MAX_RETRIES} retries")
    if any(not 1 <= d <= MAX_RETRY_DAY for d in days):
        raise ValueError(f"each retry is 1 to {MAX_RETRY_DAY} days after the first failure")
    if any(b <= a for a, b in pairwise(days)):
        raise ValueError("retry days must be strictly increasing")
    return days


def next_retry_at(
    first_failure: datetime, failed_at: datetime, retry_days: Sequence[int]
) -> datetime | None:
    """The retry after a failure at `failed_at`; None when the schedule has none left."""
    if first_failure.tzinfo is None or failed_at.tzinfo is None:
        raise ValueError("aware datetimes only")
    if failed_at < first_failure:
        raise ValueError("a failure cannot come before the first failure")
    for day in check_schedule(retry_days):
        due = first_failure + timedelta(days=day)
        if due > failed_at:
            return due
    return None
