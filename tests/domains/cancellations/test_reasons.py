"""The reasons a subscriber picks from, as the page lists them in their language."""

from __future__ import annotations

import pytest

from recura.db.models import Account
from recura.domains.cancellations import reasons
from recura.domains.common.errors import InvalidError
from recura.notifications.texts import LOCALES


def test_the_default_list_is_written_in_every_language() -> None:
    account = Account(cancellation_reasons=None)
    found = reasons.reasons_of(account)
    assert [r["code"] for r in found] == [
        "too_expensive",
        "not_using",
        "missing_features",
        "switching_service",
        "technical_problems",
        "temporary_need",
        "other",
    ]
    for reason in found:
        assert set(reason["labels"]) == set(LOCALES)
    assert reasons.label(account, "too_expensive", "ro") == "Este prea scump"
    assert reasons.label(account, "too_expensive", "en") == "It is too expensive"


def test_the_accounts_own_list_replaces_it() -> None:
    account = Account(
        cancellation_reasons=[{"code": "price", "labels": {"en": "Price", "ro": "Prețul"}}]
    )
    assert reasons.label(account, "price", "ro") == "Prețul"
    assert reasons.label(account, "too_expensive", "ro") == "too_expensive"  # since removed
    reasons.check_reason(account, "price", "/reason")
    reasons.check_reason(account, None, "/reason")
    with pytest.raises(InvalidError) as refused:
        reasons.check_reason(account, "too_expensive", "/reason")
    assert refused.value.errors[0].pointer == "/reason"
