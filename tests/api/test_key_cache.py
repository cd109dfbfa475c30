from __future__ import annotations

import pytest

from recura.api import key_cache
from recura.api.key_cache import KeyCache
from recura.domains.common.tenant import Tenant

TENANT = Tenant("acct_1", livemode=False)


def test_an_entry_lives_for_the_cache_time() -> None:
    now = [0.0]
    cache = KeyCache(5, timer=lambda: now[0])
    assert cache.get("h") is None
    cache.put("h", TENANT)
    now[0] = 4.99
    assert cache.get("h") == TENANT
    now[0] = 5.0
    assert cache.get("h") is None


def test_zero_seconds_keeps_nothing() -> None:
    cache = KeyCache(0)
    cache.put("h", TENANT)
    assert cache.get("h") is None


def test_a_full_cache_drops_expired_entries_first(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    cache = KeyCache(5, timer=lambda: now[0])
    monkeypatch.setattr(key_cache, "MAX_ENTRIES", 3)
    cache.put("old", TENANT)
    now[0] = 3.0
    cache.put("a", TENANT)
    cache.put("b", TENANT)
    now[0] = 6.0  # "old" has expired, "a" and "b" have not
    cache.put("c", TENANT)
    assert [cache.get(k) for k in ("a", "b", "c")] == [TENANT] * 3
    cache.put("d", TENANT)  # full of live entries: start afresh
    assert cache.get("a") is None
    assert cache.get("d") == TENANT
