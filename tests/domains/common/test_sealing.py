"""Sealed secrets open only with the same app secret and context."""

from __future__ import annotations

import pytest

from recura.domains.common import sealing


def test_a_sealed_value_opens_only_under_its_key_and_context() -> None:
    sealed = sealing.seal(b"app secret", "stripe credentials of acc_1", "sk_test_123")
    assert "sk_test_123" not in sealed
    assert sealing.seal(b"app secret", "stripe credentials of acc_1", "sk_test_123") != sealed
    assert sealing.unseal(b"app secret", "stripe credentials of acc_1", sealed) == "sk_test_123"
    for secret, context in [(b"app secret", "of acc_2"), (b"other", "stripe credentials of acc_1")]:
        with pytest.raises(sealing.Unsealable):
            sealing.unseal(secret, context, sealed)
    with pytest.raises(sealing.Unsealable):
        sealing.unseal(b"app secret", "stripe credentials of acc_1", "sk_test_123")
