"""The reasons a leaving subscriber may pick: the account's own list, or this default one."""

from __future__ import annotations

from typing import Any

from recura.db.models import Account
from recura.domains.common.errors import invalid

# Recura's list when the merchant has not written one; "other" goes with the free text.
DEFAULT_REASONS: tuple[dict[str, Any], ...] = (
    {
        "code": "too_expensive",
        "labels": {"en": "It is too expensive", "ro": "Este prea scump"},
    },
    {
        "code": "not_using",
        "labels": {"en": "I do not use it enough", "ro": "Nu îl folosesc suficient"},
    },
    {
        "code": "missing_features",
        "labels": {
            "en": "It lacks features I need",
            "ro": "Îi lipsesc funcții de care am nevoie",
        },
    },
    {
        "code": "switching_service",
        "labels": {"en": "I am switching to another service", "ro": "Trec la alt serviciu"},
    },
    {
        "code": "technical_problems",
        "labels": {"en": "I had technical problems", "ro": "Am avut probleme tehnice"},
    },
    {
        "code": "temporary_need",
        "labels": {
            "en": "I needed it only for a while",
            "ro": "Am avut nevoie de el doar pentru o perioadă",
        },
    },
    {"code": "other", "labels": {"en": "Another reason", "ro": "Alt motiv"}},
)


def reasons_of(account: Account) -> list[dict[str, Any]]:
    """The reasons the account's subscribers are asked to choose from, in its order."""
    return [dict(r) for r in (account.cancellation_reasons or DEFAULT_REASONS)]


def label(account: Account, code: str, locale: str) -> str:
    """A reason's label in `locale` (the code itself for a reason since removed)."""
    for reason in reasons_of(account):
        if reason["code"] == code:
            return str(reason["labels"].get(locale) or reason["labels"]["en"])
    return code


def check_reason(account: Account, code: str | None, pointer: str) -> None:
    """InvalidError at `pointer` unless `code` is None or one of the account's reasons."""
    if code is None:
        return
    codes = [r["code"] for r in reasons_of(account)]
    if code not in codes:
        raise invalid(pointer, f"'{code}' is not one of the account's reasons: {', '.join(codes)}")
