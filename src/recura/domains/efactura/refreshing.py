"""The worker's ANAF token keeper, a staged batch (`recura.staged`): access tokens ending
within `REFRESH_BEFORE` are refreshed (ANAF answers with a new access token and a new
refresh token; both are kept, sealed); a refresh token ending within `WARN_BEFORE` is
announced once by `anaf_connection.expiring`, the settings page and the API showing it too,
since only someone with the company's certificate can connect again. Yesterday's call
counts are dropped here as well."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from recura import staged
from recura.clock import Clock
from recura.config import get_settings
from recura.db.unit_of_work import Units
from recura.domains.common.tenant import Tenant
from recura.domains.efactura import connections, limits, repository
from recura.domains.efactura.connections import REFRESH_BEFORE, RETRY_REFRESH, WARN_BEFORE, Anaf
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.gateways.anaf import oauth
from recura.gateways.anaf.http import AnafUnreachable

log = logging.getLogger(__name__)

BATCH = 20


@dataclass(frozen=True, slots=True)
class Job:
    account_id: str
    livemode: bool
    claimed_at: datetime
    oauth_base: str
    client_id: str
    client_secret: str
    refresh_token: str


@dataclass(frozen=True, slots=True)
class Answer:
    tokens: oauth.Tokens | None = None
    error: str | None = None


@dataclass
class Refreshing(staged.Kind[Job, Answer]):
    anaf: Callable[[], Anaf]
    name: str = "anaf tokens"
    deadline: float = 30.0
    taken: int = 0
    _anaf: Anaf | None = field(default=None, repr=False)

    def _setup(self) -> Anaf:
        if self._anaf is None:
            self._anaf = self.anaf()
        return self._anaf

    def claim(self, session: Session, now: datetime, limit: int) -> Sequence[Job]:
        limits.forget_old(session, now)
        warned = repository.connections_to_warn(session, now + WARN_BEFORE, limit)
        for conn in warned:
            conn.expiry_warned_at = now
            conn.updated_at = now
            assert conn.refresh_expires_at is not None
            events.record(
                session,
                Tenant(conn.account_id, conn.livemode),
                payloads.AnafConnectionExpiring(
                    id=conn.id, cif=conn.cif, refresh_expires_at=conn.refresh_expires_at
                ),
                now,
            )
        rows = repository.lock_connections_to_refresh(session, now + REFRESH_BEFORE, now, limit)
        self.taken = max(len(rows), len(warned))
        if not rows:
            return []
        anaf = self._setup()
        jobs = []
        for conn in rows:
            conn.refresh_after = now + staged.CLAIM_EXPIRES
            if conn.refresh_expires_at is not None and conn.refresh_expires_at <= now:
                conn.last_error = "The refresh token has expired: connect again."
                conn.refresh_after = None
                conn.refresh_token = None
                continue
            assert conn.refresh_token is not None
            jobs.append(
                Job(
                    account_id=conn.account_id,
                    livemode=conn.livemode,
                    claimed_at=now,
                    oauth_base=anaf.oauth_base,
                    client_id=conn.client_id,
                    client_secret=connections.unseal(
                        anaf, conn, "client secret", conn.client_secret
                    ),
                    refresh_token=connections.unseal(
                        anaf, conn, "refresh token", conn.refresh_token
                    ),
                )
            )
        session.flush()
        return jobs

    def send(self, item: Job, deadline: staged.Deadline) -> Answer:
        try:
            tokens = oauth.refresh(
                item.oauth_base,
                item.client_id,
                item.client_secret,
                item.refresh_token,
                item.claimed_at,
                deadline,
            )
        except (oauth.TokenRefused, AnafUnreachable) as error:
            return Answer(error=str(error)[:300])
        return Answer(tokens=tokens)

    def unanswered(self, item: Job, error: Exception) -> Answer:
        return Answer(error=f"{type(error).__name__}: {error}"[:300])

    def record(self, session: Session, item: Job, answer: Answer, now: datetime) -> None:
        conn = repository.connection(
            session, Tenant(item.account_id, item.livemode), for_update=True
        )
        if conn is None:
            return
        if answer.tokens is not None:
            connections.keep(self._setup(), conn, answer.tokens, now)
            return
        log.warning("refreshing the ANAF tokens of %s failed: %s", conn.id, answer.error)
        conn.last_error = answer.error
        conn.refresh_after = now + RETRY_REFRESH
        conn.updated_at = now


def _default_anaf() -> Anaf:
    return Anaf.of(get_settings().secret_key.get_secret_value().encode())


def refresh_due(units: Units, clock: Clock, limit: int = BATCH, *, anaf: Anaf | None = None) -> int:
    """The worker's step: one staged batch of token refreshes (and expiry warnings)."""
    return staged.run(units, clock, Refreshing((lambda: anaf) if anaf else _default_anaf), limit)
