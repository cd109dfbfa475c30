"""Who a portal link is for, and which form posts to trust.

The signed token in the address is the proof (`recura.notifications.links`): it names the
account, mode, customer and, for reactivation, the subscription. Forms post back to the same
address and carry a key bound to the token (`recura.web.csrf`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import Account, Customer
from recura.domains.accounts import repository as accounts
from recura.domains.common.tenant import Tenant
from recura.domains.customers import service as customers
from recura.notifications import link_owners, links
from recura.web.pages import Brand, brand


@dataclass(frozen=True, slots=True)
class Visit:
    """A genuine link's subscriber, and their present (their test clock's, if any)."""

    claims: links.Claims
    tenant: Tenant
    account: Account
    customer: Customer
    locale: str
    now: datetime
    brand: Brand


def open_link(
    session: Session, secret: bytes, token: str, purpose: links.Purpose, now: datetime
) -> Visit | None:
    """The visit, if the token is genuine, unexpired, for `purpose` and names a customer
    that exists in that account and mode."""
    found = link_owners.find(session, secret, token, purpose, now)
    if found is None:
        return None
    tenant = Tenant(found.claims.account_id, found.claims.livemode)
    present = customers.now_for(session, tenant, found.customer, now)
    shown = brand(found.account, accounts.logo_hash(session, found.account.id))
    return Visit(found.claims, tenant, found.account, found.customer, found.locale, present, shown)
