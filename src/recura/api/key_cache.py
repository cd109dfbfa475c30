"""Who recently seen API keys belong to, so most requests authenticate without a query.

A key's account and mode never change; only revocation ends a key, and revocation is rare
and made elsewhere (`recura api-keys revoke`). So an answer is kept for a few seconds
(`RECURA_API_KEY_CACHE_SECONDS`, 0 turns the cache off): a revoked key is refused by every
server within that time. Unknown keys are never kept, so a new key works at once. Entries
are keyed by the key's keyed hash, never the key itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from recura.domains.common.tenant import Tenant

MAX_ENTRIES = 10_000


class KeyCache:
    def __init__(self, seconds: float, timer: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._timer = timer
        self._entries: dict[str, tuple[Tenant, float]] = {}
        self._lock = threading.Lock()  # filled from request threads, read on the event loop

    def get(self, key_hash: str) -> Tenant | None:
        found = self._entries.get(key_hash)
        if found is None:
            return None
        tenant, expires = found
        if self._timer() >= expires:
            return None
        return tenant

    def put(self, key_hash: str, tenant: Tenant) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                now = self._timer()
                self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
            self._entries[key_hash] = (tenant, self._timer() + self.seconds)
