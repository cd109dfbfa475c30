"""Ways into the portal and the browser sessions they open.

A portal session starts as a link: emailed when a subscriber asks for one with their
address (15 minutes), or returned to the merchant's API call (one hour). The link works
once; using it opens the browser session, whose cookie holds the session's id and a random
secret kept here only as its hash. A session ends when the subscriber signs out, after
`IDLE` without a request, `LIFETIME` after it opened, or when the customer is archived.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from recura.db.models import Customer, PortalSession
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers
from recura.domains.events import service as events
from recura.domains.events.payloads import PortalSessionCreated
from recura.domains.portal_sessions import repository
from recura.ids import new_id

Origin = Literal["email", "api"]
LINK_LIFETIME: dict[Origin, timedelta] = {
    "email": timedelta(minutes=15),
    "api": timedelta(hours=1),
}
IDLE = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)
# A request refreshes `last_seen_at` only when it is this old: not one write per page.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Opened:
    """A used link's session, and the cookie value that carries it (only ever here)."""

    portal_session: PortalSession
    cookie: str


def request_by_email(
    session: Session, tenant: Tenant, email: str, locale: str | None, now: datetime
) -> PortalSession | None:
    """A sign-in link for the customer with this address, emailed through the
    `portal_session.created` event; None, and nothing recorded, for an unknown address
    (the page answers the same either way)."""
    customer = repository.newest_customer_by_email(session, tenant, email.strip())
    if customer is None:
        return None
    return _create(session, tenant, customer, "email", locale, None, now)


def email_link(
    session: Session, tenant: Tenant, customer: Customer, now: datetime
) -> PortalSession:
    """A sign-in link emailed to the customer, as if they had asked for it (an operator
    sends it from the console)."""
    return _create(session, tenant, customer, "email", None, None, now)


def create_for_customer(
    session: Session,
    tenant: Tenant,
    customer: Customer,
    locale: str | None,
    return_url: str | None,
    now: datetime,
) -> PortalSession:
    """A session the merchant opens for its customer (POST /v1/portal_sessions)."""
    return _create(session, tenant, customer, "api", locale, return_url, now)


def _create(
    session: Session,
    tenant: Tenant,
    customer: Customer,
    origin: Origin,
    locale: str | None,
    return_url: str | None,
    now: datetime,
) -> PortalSession:
    row = PortalSession(
        id=new_id("portal_session"),
        account_id=tenant.account_id,
        livemode=tenant.livemode,
        customer_id=customer.id,
        origin=origin,
        locale=locale,
        return_url=return_url,
        link_expires_at=now + LINK_LIFETIME[origin],
        created_at=now,
    )
    session.add(row)
    payload = PortalSessionCreated(
        id=row.id, customer=customer.id, origin=origin, expires_at=row.link_expires_at
    )
    events.record(session, tenant, payload, now)
    session.flush()
    return row


def use_link(session: Session, account_id: str, session_id: str, now: datetime) -> Opened | None:
    """Open the browser session of a genuine link's portal session, once: None if it was
    used already, has expired, or its customer is archived."""
    row = repository.lock(session, account_id, session_id)
    if row is None or row.link_used_at is not None or now >= row.link_expires_at:
        return None
    customer = customers.find_by_key(session, account_id, row.customer_id)
    if customer is None or customer.archived_at is not None:
        return None
    secret = secrets.token_urlsafe(32)
    row.link_used_at = now
    row.last_seen_at = now
    row.secret_hash = _hash(secret)
    session.flush()
    return Opened(row, f"{row.account_id}.{row.id}.{secret}")


def from_cookie(session: Session, cookie: str, now: datetime) -> PortalSession | None:
    """The live session the cookie names, refreshed; None for anything else."""
    account_id, _, rest = cookie.partition(".")
    session_id, _, secret = rest.partition(".")
    if not (account_id and session_id and secret) or len(cookie) > 200:
        return None
    row = repository.get(session, account_id, session_id)
    if row is None or row.secret_hash is None or row.ended_at is not None:
        return None
    if not hmac.compare_digest(row.secret_hash, _hash(secret)):
        return None
    assert row.last_seen_at is not None
    assert row.link_used_at is not None
    if now - row.last_seen_at >= IDLE or now - row.link_used_at >= LIFETIME:
        return None
    customer = customers.find_by_key(session, account_id, row.customer_id)
    if customer is None or customer.archived_at is not None:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    return row


def end(session: Session, row: PortalSession, now: datetime) -> None:
    row.ended_at = now
    session.flush()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def peek(session: Session, account_id: str, session_id: str) -> PortalSession | None:
    """The session row, whatever its state (to say where signing in again starts)."""
    return repository.get(session, account_id, session_id)
