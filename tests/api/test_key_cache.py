from __future__ import annotations

import pytest

from recura.api import key_cache
from recura.api.key_cache import KeyCache
from recura.domains.accounts.api_keys import KeyHolder
from recura.domains.common.tenant import Tenant

TENANT = KeyHolder(Tenant("acct_1", livemode=False), "key_1", "k (rk_test_…abcd)", "full")


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


def test_a_dropped_key_is_not_put_back_within_the_cache_time() -> None:
    now = [0.0]
    cache = KeyCache(5, timer=lambda: now[0])
    other = KeyHolder(Tenant("acct_1", livemode=False), "key_2", "o (rk_test_…efgh)", "full")
    cache.put("h", TENANT)
    cache.put("o", other)
    cache.drop_key("key_1")
    assert cache.get("h") is None
    assert cache.get("o") == other
    # A request that read the key before its revocation committed cannot cache it again.
    cache.put("h", TENANT)
    assert cache.get("h") is None
    now[0] = 5.0
    cache.put("h", TENANT)
    assert cache.get("h") == TENANT
