"""What happens around the revenue: trials that convert, checkouts that complete, failed
payments recovered, why customers leave and whether an offer kept them, how fast support
answers. One definition each (docs/metrics.md); ratios over nothing are None."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction

from recura.core.metrics import ChurnKind
from recura.core.money import round_fraction

__all__ = [
    "CheckoutFunnel",
    "OfferAcceptance",
    "ResponseTimes",
    "checkout_funnel",
    "checkout_funnel_counted",
    "churn_kind",
    "nearest_rank",
    "offer_acceptance",
    "offer_acceptance_counted",
    "response_times",
    "response_times_of",
    "wait_seconds",
]

# The stages a checkout session records, in order (domains/checkout/service.py).
CHECKOUT_STAGES = ("opened", "details", "payment_method", "confirmed")
# Statuses that pay: trials converting to one of them, subscriptions recovering to one.
PAYING = frozenset({"active", "past_due"})


def ratio(part: int, whole: int) -> Fraction | None:
    return None if whole == 0 else Fraction(part, whole)


@dataclass(frozen=True, slots=True)
class CheckoutFunnel:
    """Checkout sessions made in a period: how many reached each stage and completed."""

    created: int
    reached: Mapping[str, int]
    completed: int

    @property
    def conversion(self) -> Fraction | None:
        """Completed ÷ created: the share of started checkouts that became subscriptions."""
        return ratio(self.completed, self.created)


def checkout_funnel(sessions: Iterable[tuple[str | None, bool]]) -> CheckoutFunnel:
    """From (furthest stage reached, completed) per session: a session that reached a
    stage reached every stage before it."""
    return checkout_funnel_counted(Counter(sessions).items())


def checkout_funnel_counted(
    counted: Iterable[tuple[tuple[str | None, bool], int]],
) -> CheckoutFunnel:
    """`checkout_funnel` from how many sessions share each (stage, completed)."""
    created, completed = 0, 0
    reached = dict.fromkeys(CHECKOUT_STAGES, 0)
    for (stage, done), count in counted:
        created += count
        completed += count if done else 0
        if stage in reached:
            for name in CHECKOUT_STAGES[: CHECKOUT_STAGES.index(stage) + 1]:
                reached[name] += count
    return CheckoutFunnel(created, reached, completed)


def churn_kind(status: str, reason: str | None) -> ChurnKind:
    """A paying subscription that stopped paying: involuntary when retries ran out (it
    was canceled for that, or marked unpaid), else voluntary."""
    if status == "unpaid" or reason == "retries_exhausted":
        return ChurnKind.INVOLUNTARY
    return ChurnKind.VOLUNTARY


@dataclass(frozen=True, slots=True)
class OfferAcceptance:
    """Cancellation flows of a period: the reasons given, and the retention offers."""

    flows: int
    reasons: Mapping[str, int]
    offered: int
    accepted: int
    declined: int
    canceled: int

    @property
    def acceptance(self) -> Fraction | None:
        """Offers accepted ÷ offers answered (one still shown is neither)."""
        return ratio(self.accepted, self.accepted + self.declined)


def offer_acceptance(flows: Iterable[tuple[str | None, str, bool]]) -> OfferAcceptance:
    """From (reason, outcome, canceled) per cancellation flow; a flow with no reason
    counts under "none"."""
    return offer_acceptance_counted(Counter(flows).items())


def offer_acceptance_counted(
    counted: Iterable[tuple[tuple[str | None, str, bool], int]],
) -> OfferAcceptance:
    """`offer_acceptance` from how many flows share each (reason, outcome, canceled)."""
    reasons: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    count, canceled = 0, 0
    for (reason, outcome, left), n in counted:
        count += n
        canceled += n if left else 0
        reasons[reason or "none"] += n
        outcomes[outcome] += n
    offered = count - outcomes["not_offered"]
    return OfferAcceptance(
        count,
        dict(sorted(reasons.items())),
        offered,
        outcomes["accepted"],
        outcomes["declined"],
        canceled,
    )


@dataclass(frozen=True, slots=True)
class ResponseTimes:
    """Support requests of a period and how long the first answer took (whole seconds)."""

    requests: int
    answered: int
    mean: int | None
    median: int | None
    p90: int | None


MEDIAN, P90 = Fraction(1, 2), Fraction(9, 10)


def nearest_rank(count: int, share: Fraction) -> int:
    """The nearest-rank percentile's position (from 1) among `count` ordered values: the
    smallest value with at least `share` of them at or below it."""
    return max(1, -(-share.numerator * count // share.denominator))


def wait_seconds(wait: timedelta) -> int:
    """A wait for the first answer in whole seconds (cut, never below 0)."""
    return max(0, int(wait.total_seconds()))


def response_times(waits: Iterable[timedelta | None]) -> ResponseTimes:
    """From each request's wait for its first answer (None: not answered yet)."""
    requests, seconds = 0, []
    for wait in waits:
        requests += 1
        if wait is not None:
            seconds.append(wait_seconds(wait))
    seconds.sort()
    ranked = {s: seconds[nearest_rank(len(seconds), s) - 1] for s in (MEDIAN, P90) if seconds}
    return response_times_of(requests, len(seconds), sum(seconds), ranked)


def response_times_of(
    requests: int, answered: int, total: int, ranked: Mapping[Fraction, int]
) -> ResponseTimes:
    """From the counts, the answered waits' total (seconds) and the waits at the median's
    and the 90th percentile's nearest ranks (`ranked`, by share)."""
    if not answered:
        return ResponseTimes(requests, 0, None, None, None)
    mean = round_fraction(Fraction(total, answered))
    return ResponseTimes(requests, answered, mean, ranked[MEDIAN], ranked[P90])
