"""Who a portal link is for, and which form posts to trust.

The signed token in the address is the proof (`recura.notifications.links`): it names the
account, mode, customer and, for reactivation, the subscription. Forms post back to the same
address, so a cross-site page would need the token to forge one; on top of that every form
carries a key derived from the token and the form's name under the app's secret, and a
browser that says the post comes from another site (Sec-Fetch-Site, else Origin) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.orm import Session
from starlette.requests import Request

from recura.db.models import Account, Customer
from recura.domains.common.tenant import Tenant
from recura.domains.customers import service as customers
from recura.notifications import link_owners, links

_FORM_CONTEXT = b"recura portal forms v1"


@dataclass(frozen=True, slots=True)
class Visit:
    """A genuine link's subscriber, and their present (their test clock's, if any)."""

    claims: links.Claims
    tenant: Tenant
    account: Account
    customer: Customer
    locale: str
    now: datetime


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
    return Visit(found.claims, tenant, found.account, found.customer, found.locale, present)


def form_key(secret: bytes, token: str, form: str) -> str:
    key = hmac.new(secret, _FORM_CONTEXT, hashlib.sha256).digest()
    return hmac.new(key, f"{form}\0{token}".encode(), hashlib.sha256).hexdigest()


def form_accepted(request: Request, token: str, form: str, fields: dict[str, str]) -> bool:
    """The post carries this page's form key and does not come from another site."""
    expected = form_key(request.app.state.secret, token, form)
    if not hmac.compare_digest(expected, fields.get("form_key", "")):
        return False
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    # "null" is what a browser sends under Referrer-Policy: no-referrer.
    if origin is None or origin == "null":
        return True
    public = request.app.state.settings.public_url
    return _origin(origin) in {_origin(public), _origin(str(request.base_url))}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
