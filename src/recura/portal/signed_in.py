"""The signed-in subscriber: the portal session their cookie names, still open, and its
customer; and setting or clearing that cookie."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from recura.db.models import Account, Customer, PortalSession
from recura.domains.accounts import repository as accounts
from recura.domains.common import actor
from recura.domains.common.actor import Actor
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers
from recura.domains.customers import service as customer_service
from recura.domains.portal_sessions import service as portal_sessions
from recura.portal import pages, site
from recura.web import csp, csrf, language
from recura.web.pages import Brand, Frame

COOKIE = "recura_portal"


@dataclass(frozen=True, slots=True)
class Visitor:
    portal_session: PortalSession
    tenant: Tenant
    account: Account
    customer: Customer
    locale: str
    brand: Brand
    # The customer's present: their test clock's, if they live on one.
    now: datetime

    def frame(self, policy: csp.Policy | None = None) -> Frame:
        return Frame(
            brand=self.brand,
            locale=self.locale,
            signed_in=True,
            test_mode=not self.tenant.livemode,
            policy=policy or csp.Policy(csp.nonce()),
            session_binding=self.portal_session.id,
        )

    @property
    def root(self) -> str | None:
        """The account's public site, where signing in again starts."""
        return site.root(self.account, self.tenant.livemode)


def visitor(session: Session, request: Request) -> Visitor | None:
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    now = request.app.state.clock.now()
    row = portal_sessions.from_cookie(session, cookie, now)
    if row is None:
        return None
    tenant = Tenant(row.account_id, row.livemode)
    account = accounts.account_by_key(session, row.account_id)
    customer = customers.by_key(session, row.account_id, row.customer_id)
    locale = language.choose(request, account.locale, row.locale or customer.locale)
    present = customer_service.now_for(session, tenant, customer, now)
    shown = pages.brand_of(session, account)
    # What the subscriber does from here on (cancel, change plan, details) records its
    # events as theirs: the page's work runs in this context.
    label = customer.email or customer.name or customer.id
    actor.set_current(Actor(kind="subscriber", id=customer.id, label=label))
    return Visitor(row, tenant, account, customer, locale, shown, present)


def sign_in_again(session: Session, request: Request) -> Response:
    """Where a visitor without a live session goes: their account's sign-in page when the
    (ended) cookie still says which account, else a page saying how to get in."""
    account_id, _, rest = request.cookies.get(COOKIE, "").partition(".")
    ended = portal_sessions.peek(session, account_id, rest.partition(".")[0]) if rest else None
    account = accounts.get_account(session, account_id) if ended is not None else None
    base = site.root(account, ended.livemode) if account and ended else None
    if base is None:
        return pages.invalid(request)
    response = RedirectResponse(f"{base}/sign-in?ended=1", status_code=303)
    forget(request, response)
    return response


def remember(request: Request, response: Response, cookie: str) -> None:
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int(portal_sessions.LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=csrf.secure(request),
        path="/",
    )


def forget(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE, httponly=True, samesite="lax", secure=csrf.secure(request), path="/"
    )


def form_accepted(request: Request, visitor: Visitor, form: str, fields: dict[str, str]) -> bool:
    """The post carries the key of `form` bound to the visitor's portal session."""
    return csrf.form_accepted(request, visitor.portal_session.id, form, fields)
