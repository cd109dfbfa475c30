"""Who recently seen API keys are, so most requests authenticate without a query.

A key's account, mode and scope never change; only revocation ends a key. So an answer is
kept for a few seconds (`RECURA_API_KEY_CACHE_SECONDS`, 0 turns the cache off). A key
revoked through this process's API (`POST /v1/api_keys/{id}/revoke`) is dropped from its
cache at once; every other process (more API servers, `recura api-keys revoke`) refuses it
within the cache time, which bounds how long a revoked key may still work anywhere.
Unknown keys are never kept, so a new key works at once. Entries are keyed by the key's
keyed hash, never the key itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from recura.domains.accounts.api_keys import KeyHolder

MAX_ENTRIES = 10_000


class KeyCache:
    def __init__(self, seconds: float, timer: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._timer = timer
        self._entries: dict[str, tuple[KeyHolder, float]] = {}
        # Keys revoked here lately: a request that read the key before the revocation
        # committed must not put it back.
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()  # filled from request threads, read on the event loop

    def get(self, key_hash: str) -> KeyHolder | None:
        found = self._entries.get(key_hash)
        if found is None:
            return None
        holder, expires = found
        if self._timer() >= expires:
            return None
        return holder

    def put(self, key_hash: str, holder: KeyHolder) -> None:
        if self.seconds <= 0:
            return
        if self._revoked and self._timer() < self._revoked.get(holder.key_id, 0.0):
            return
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                now = self._timer()
                self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
            self._entries[key_hash] = (holder, self._timer() + self.seconds)

    def drop_key(self, key_id: str) -> None:
        """Forget a revoked key (looked up by id: its hash is not at hand). Revocations are
        rare, so walking the entries is fine."""
        with self._lock:
            now = self._timer()
            self._revoked = {k: t for k, t in self._revoked.items() if t > now}
            self._revoked[key_id] = now + self.seconds
            self._entries = {k: v for k, v in self._entries.items() if v[0].key_id != key_id}
