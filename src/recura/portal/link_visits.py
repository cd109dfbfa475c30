"""Emailed links and the whole portal: a link names one customer and allows one thing (see
an invoice, give a payment method). When the browser already has that customer's portal
session, the link opens the portal's own page for it; without one, the link's page offers
signing in to the whole account. A link never opens a portal session by itself: it lives
for weeks in a mailbox, a portal session for hours."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from recura.portal import signed_in, site
from recura.portal.access import Visit


def to_portal(session: Session, request: Request, visit: Visit, path: str) -> Response | None:
    """A 303 to the portal's `path` when the visitor is signed in as the link's customer."""
    visitor = signed_in.visitor(session, request)
    if visitor is None or visitor.tenant != visit.tenant:
        return None
    if visitor.customer.id != visit.customer.id:
        return None
    return RedirectResponse(path, status_code=303)


def sign_in_url(visit: Visit) -> str | None:
    """Where the link's customer signs in to their whole account, if the account has a site."""
    root = site.root(visit.account, visit.tenant.livemode)
    return f"{root}/sign-in" if root else None
