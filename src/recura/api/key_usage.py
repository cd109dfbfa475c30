"""When each API key was last used, without a write on the request that used it.

Requests only note the use in memory (a dict assignment, on the event loop). At most once a
minute per process, the next request hands the noted uses to a thread that writes them in one
UPDATE of its own and is not waited for; the app's shutdown writes what is left. So
`last_used_at` is at most about a minute behind, each key is written at most once a minute
per process, and no request waits for a write it did not ask for.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from recura.db.unit_of_work import unit_of_work
from recura.domains.accounts import api_keys
from recura.domains.accounts.api_keys import KeyHolder

INTERVAL_SECONDS = 60.0
log = logging.getLogger(__name__)


class KeyUsage:
    def __init__(
        self,
        factory: sessionmaker[Session],
        timer: Callable[[], float] = time.monotonic,
        interval: float = INTERVAL_SECONDS,
    ) -> None:
        self._factory = factory
        self._timer = timer
        self._interval = interval
        self._next_write = timer() + interval
        self._uses: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()

    def note(self, holder: KeyHolder, at: datetime) -> None:
        """Note a use; start the write of the noted uses when a minute has passed."""
        self._uses[(holder.tenant.account_id, holder.key_id)] = at
        if self._timer() < self._next_write:
            return
        self._next_write = self._timer() + self._interval
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.write()  # in a thread already (a sync caller)
            return
        loop.run_in_executor(None, self._write_logged)

    def write(self) -> None:
        """Write the noted uses now, in a transaction of their own."""
        with self._lock:
            uses, self._uses = self._uses, {}
        if uses:
            with unit_of_work(self._factory) as session:
                api_keys.record_uses(session, [(a, k, at) for (a, k), at in uses.items()])

    def _write_logged(self) -> None:
        try:
            self.write()
        except Exception:
            # Only a key's last use is late; the next minute writes it again.
            log.warning("could not record when API keys were last used", exc_info=True)
