"""Metadata updates merge, as in Stripe: sent keys are set, a key sent as "" is removed."""

from __future__ import annotations


def merge_metadata(current: dict[str, str], update: dict[str, str] | None) -> dict[str, str]:
    merged = {**current, **(update or {})}
    return {key: value for key, value in merged.items() if value != ""}
