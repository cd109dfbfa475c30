"""An account's metric settings: stored as JSON on the account (only what it changed),
read as `core.metrics.MetricSettings` with the defaults docs/metrics.md gives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from recura.core.metrics import ChurnTiming, DiscountPolicy, MetricSettings

DEFAULTS: dict[str, Any] = {
    "discounts": DiscountPolicy.ALL.value,
    "churn_timing": ChurnTiming.PERIOD_END.value,
    "reactivation_window_days": None,
    "include_metered": False,
    "gross_margin": "1",
    "reporting_currency": None,
}
# Settings a null in a PATCH clears (back to the default); a null leaves the others.
CLEARABLE = frozenset({"reactivation_window_days", "reporting_currency"})
# What the rollups are folded with: a change of these recomputes the account's rollups.
FOLDED = ("discounts", "churn_timing", "reactivation_window_days", "include_metered")


def stored(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every setting: the stored ones over the defaults."""
    return {**DEFAULTS, **(data or {})}


@dataclass(frozen=True, slots=True)
class AccountMetrics:
    """What reads need of an account's settings."""

    settings: MetricSettings
    reporting_currency: str


def of(data: Mapping[str, Any] | None, default_currency: str = "EUR") -> AccountMetrics:
    values = stored(data)
    settings = MetricSettings(
        discounts=DiscountPolicy(values["discounts"]),
        churn_timing=ChurnTiming(values["churn_timing"]),
        reactivation_window_days=values["reactivation_window_days"],
        include_metered=bool(values["include_metered"]),
        gross_margin=Fraction(Decimal(str(values["gross_margin"]))),
    )
    return AccountMetrics(settings, values["reporting_currency"] or default_currency)


def folded_with(data: Mapping[str, Any] | None) -> MetricSettings:
    """The settings the fold applies for this account: which discounts lower MRR, whether
    usage counts, its churn timing and reactivation window (the `FOLDED` ones; the others
    are left at their defaults, which the fold does not read)."""
    values = stored(data)
    return MetricSettings(
        discounts=DiscountPolicy(values["discounts"]),
        churn_timing=ChurnTiming(values["churn_timing"]),
        reactivation_window_days=values["reactivation_window_days"],
        include_metered=bool(values["include_metered"]),
    )


def merged(before: Mapping[str, Any] | None, given: Mapping[str, Any]) -> dict[str, Any]:
    """The stored settings after a PATCH: `given` over `before`; a null clears a setting
    that may be cleared and leaves the others as they were."""
    result = dict(before or {})
    for name, value in given.items():
        if value is None:
            if name in CLEARABLE:
                result.pop(name, None)
            continue
        result[name] = str(value) if isinstance(value, Decimal) else value
    return result
