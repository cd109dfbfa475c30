"""An account's connection to ANAF's e-Factura: the merchant's ANAF application (client id
and secret), authorised once in a browser on ANAF's page with the company's qualified
certificate; the tokens ANAF gives back, sealed; their refresh before the access token
ends; and a warning, some days ahead, that the refresh token itself ends (then someone
with the certificate must connect again).

Test mode talks to ANAF's test environment, live mode to production: one connection each.
The token exchange and refresh are HTTP calls, made with no transaction open: the callback
reads what it needs and commits (`begin_callback`), asks ANAF (`exchange`), and stores the
answer in a new transaction (`store`); the worker refreshes through the staged mechanism.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from stdnum.ro import cf

from recura.config import anaf_bases
from recura.db.models import AnafConnection
from recura.domains.common import sealing
from recura.domains.common.errors import ConflictError, invalid
from recura.domains.common.tenant import Tenant
from recura.domains.efactura import repository
from recura.domains.efactura.schemas import AnafConnectionOut
from recura.gateways.anaf import oauth
from recura.ids import new_id

# Refreshed this long before the access token ends (it lasts 90 days).
REFRESH_BEFORE = timedelta(days=10)
# The merchant is told this long before the refresh token ends.
WARN_BEFORE = timedelta(days=14)
# A refresh ANAF refused is tried again after this long.
RETRY_REFRESH = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Anaf:
    """What talking to ANAF needs besides a connection: the app's secret (to open sealed
    values) and where ANAF's two hosts are."""

    secret: bytes
    oauth_base: str
    api_base: str

    @classmethod
    def of(cls, secret: bytes) -> Anaf:
        bases = anaf_bases()
        return cls(secret, bases.anaf_oauth_base.rstrip("/"), bases.anaf_api_base.rstrip("/"))


@dataclass(frozen=True, slots=True)
class Exchange:
    """What the callback's token exchange needs, read before it is made."""

    client_id: str
    client_secret: str
    redirect_uri: str


def mode_of(livemode: bool) -> str:
    return "live" if livemode else "test"


def livemode_of_state(state: str) -> bool | None:
    """Which connection a callback's state was made for (None: not one of ours)."""
    mode = state.partition(".")[0]
    return {"live": True, "test": False}.get(mode)


def environment(livemode: bool) -> str:
    return "prod" if livemode else "test"


def _context(conn: AnafConnection, what: str) -> str:
    return f"anaf {what} of {conn.account_id}:{'live' if conn.livemode else 'test'}"


def seal(anaf: Anaf, conn: AnafConnection, what: str, plain: str) -> str:
    return sealing.seal(anaf.secret, _context(conn, what), plain)


def unseal(anaf: Anaf, conn: AnafConnection, what: str, stored: str) -> str:
    return sealing.unseal(anaf.secret, _context(conn, what), stored)


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def cif_of(vat_id: str | None) -> str:
    """The CIF ANAF's calls name: digits only (no RO), checked."""
    digits = (vat_id or "").upper().removeprefix("RO").strip()
    if not digits or not cf.is_valid(digits):
        raise ConflictError(
            "The account's VAT id (a Romanian CUI) is needed to connect to e-Factura; "
            "set it in the account's legal profile first."
        )
    return digits


def get(session: Session, tenant: Tenant) -> AnafConnection | None:
    return repository.connection(session, tenant)


def start(
    session: Session,
    tenant: Tenant,
    anaf: Anaf,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    now: datetime,
) -> str:
    """Save the merchant's ANAF application and return ANAF's authorize page to send the
    browser to. A blank secret keeps the one saved before."""
    client_id, client_secret = client_id.strip(), client_secret.strip()
    if not client_id or len(client_id) > 200:
        raise invalid("/client_id", "is required (at most 200 characters)")
    account = repository.account(session, tenant.account_id)
    cif = cif_of(account.vat_id if account else None)
    conn = repository.connection(session, tenant, for_update=True)
    if conn is None:
        if not client_secret:
            raise invalid("/client_secret", "is required")
        conn = AnafConnection(
            id=new_id("anaf_connection"),
            **tenant.row_keys(),
            created_at=now,
            client_secret="",
        )
        session.add(conn)
    conn.cif = cif
    conn.client_id = client_id
    if client_secret:
        conn.client_secret = seal(anaf, conn, "client secret", client_secret)
    conn.redirect_uri = redirect_uri
    # The mode leads the state: the one callback address serves both connections.
    state = f"{mode_of(tenant.livemode)}.{secrets.token_urlsafe(24)}"
    conn.pending_state = _state_hash(state)
    conn.updated_at = now
    session.flush()
    return oauth.authorize_url(anaf.oauth_base, client_id, redirect_uri, state)


def begin_callback(session: Session, tenant: Tenant, anaf: Anaf, state: str) -> Exchange:
    """The callback's state must be the one this connection sent (it is spent here, so a
    replayed callback is refused); what the exchange needs is returned."""
    conn = repository.connection(session, tenant, for_update=True)
    if (
        conn is None
        or conn.pending_state is None
        or not hmac.compare_digest(conn.pending_state, _state_hash(state))
    ):
        raise ConflictError("This answer from ANAF does not match a connection being made.")
    conn.pending_state = None
    return Exchange(
        conn.client_id, unseal(anaf, conn, "client secret", conn.client_secret), conn.redirect_uri
    )


def exchange(anaf: Anaf, pending: Exchange, code: str, now: datetime) -> oauth.Tokens:
    """Ask ANAF for the tokens (no transaction open)."""
    return oauth.exchange_code(
        anaf.oauth_base, pending.client_id, pending.client_secret, code, pending.redirect_uri, now
    )


def store(
    session: Session, tenant: Tenant, anaf: Anaf, tokens: oauth.Tokens, now: datetime
) -> AnafConnection:
    conn = repository.connection(session, tenant, for_update=True)
    if conn is None:
        raise ConflictError("The connection was removed meanwhile.")
    keep(anaf, conn, tokens, now)
    conn.connected_at = now
    return conn


def keep(anaf: Anaf, conn: AnafConnection, tokens: oauth.Tokens, now: datetime) -> None:
    """Both tokens, sealed: ANAF rotates the refresh token on every refresh."""
    before = conn.refresh_expires_at
    conn.access_token = seal(anaf, conn, "access token", tokens.access_token)
    conn.refresh_token = seal(anaf, conn, "refresh token", tokens.refresh_token)
    conn.access_expires_at = tokens.access_expires_at
    if tokens.refresh_expires_at is not None:
        conn.refresh_expires_at = tokens.refresh_expires_at
    elif conn.refresh_expires_at is None or conn.connected_at is None:
        conn.refresh_expires_at = now + oauth.REFRESH_LIFETIME
    if before is None or (conn.refresh_expires_at and conn.refresh_expires_at > before):
        conn.expiry_warned_at = None
    conn.refreshed_at = now
    conn.refresh_after = None
    conn.last_error = None
    conn.updated_at = now


def disconnect(session: Session, tenant: Tenant) -> bool:
    conn = repository.connection(session, tenant, for_update=True)
    if conn is None:
        return False
    session.delete(conn)
    session.flush()
    return True


def access_token(anaf: Anaf, conn: AnafConnection, now: datetime) -> str | None:
    """The access token, if there is one still valid."""
    if conn.access_token is None or conn.access_expires_at is None:
        return None
    if conn.access_expires_at <= now:
        return None
    return unseal(anaf, conn, "access token", conn.access_token)


def to_out(conn: AnafConnection | None, now: datetime) -> AnafConnectionOut:
    if conn is None:
        return AnafConnectionOut(connected=False)
    ends = conn.refresh_expires_at
    return AnafConnectionOut(
        connected=conn.refresh_token is not None and (ends is None or ends > now),
        id=conn.id,
        cif=conn.cif,
        environment=environment(conn.livemode),
        client_id=conn.client_id,
        connected_at=conn.connected_at,
        access_expires_at=conn.access_expires_at,
        refresh_expires_at=ends,
        refresh_expiring=ends is not None and ends - now <= WARN_BEFORE,
        last_error=conn.last_error,
    )
