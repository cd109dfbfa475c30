"""Funnel metrics by hand: checkout stages, churn kinds, offer acceptance, support
first-response times (nearest-rank percentiles, one rounding)."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from recura.core import funnels
from recura.core.funnels import CHECKOUT_STAGES
from recura.core.metrics import ChurnKind


def test_checkout_funnel_counts_every_stage_before_the_furthest() -> None:
    found = funnels.checkout_funnel(
        [(None, False), ("opened", False), ("details", False), ("confirmed", True)]
    )
    assert found.created == 4
    assert found.reached == {"opened": 3, "details": 2, "payment_method": 1, "confirmed": 1}
    assert found.completed == 1
    assert found.conversion == Fraction(1, 4)
    assert funnels.checkout_funnel([]).conversion is None


@given(st.lists(st.tuples(st.sampled_from([None, *CHECKOUT_STAGES]), st.booleans())))
def test_a_funnel_only_narrows(sessions: list[tuple[str | None, bool]]) -> None:
    found = funnels.checkout_funnel(sessions)
    counts = [found.reached[s] for s in CHECKOUT_STAGES]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] <= found.created


def test_churn_kinds() -> None:
    assert funnels.churn_kind("canceled", "requested") is ChurnKind.VOLUNTARY
    assert funnels.churn_kind("canceled", "period_end") is ChurnKind.VOLUNTARY
    assert funnels.churn_kind("canceled", "retries_exhausted") is ChurnKind.INVOLUNTARY
    assert funnels.churn_kind("unpaid", None) is ChurnKind.INVOLUNTARY


def test_offer_acceptance_counts_answered_offers_only() -> None:
    found = funnels.offer_acceptance(
        [
            ("too_expensive", "accepted", False),
            ("too_expensive", "declined", True),
            (None, "not_offered", True),
            ("missing_features", "pending", False),
        ]
    )
    assert found.flows == 4
    assert found.reasons == {"missing_features": 1, "none": 1, "too_expensive": 2}
    assert (found.offered, found.accepted, found.declined, found.canceled) == (3, 1, 1, 2)
    assert found.acceptance == Fraction(1, 2)
    assert funnels.offer_acceptance([]).acceptance is None


def test_response_times_by_hand() -> None:
    waits = [timedelta(minutes=m) for m in (10, 20, 30, 40)] + [None]
    found = funnels.response_times(waits)
    assert (found.requests, found.answered) == (5, 4)
    assert found.mean == 1500  # 25 minutes
    assert found.median == 1200  # nearest rank: the 2nd of 4
    assert found.p90 == 2400
    assert funnels.response_times([None]).median is None
    # Half a second rounds away from zero, once: (1 + 2) / 2 = 1.5 s -> 2 s.
    assert funnels.response_times([timedelta(seconds=1), timedelta(seconds=2)]).mean == 2
