"""An account's public site: `/p/{slug}` for live mode, `/p/{slug}/test` for test mode (its
test catalog and test customers, with a banner saying so)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from starlette.requests import Request

from recura.db.models import Account
from recura.domains.accounts import repository as accounts
from recura.domains.common.tenant import Tenant
from recura.portal import pages
from recura.web import csp, language
from recura.web.pages import Brand, Frame


@dataclass(frozen=True, slots=True)
class Site:
    account: Account
    tenant: Tenant
    root: str
    brand: Brand

    def frame(self, request: Request, policy: csp.Policy | None = None) -> Frame:
        """A visitor's page of this site, in their language."""
        locale = language.choose(
            request, self.account.locale, fallback_locale=self.account.fallback_locale
        )
        return Frame(
            brand=self.brand,
            locale=locale,
            test_mode=not self.tenant.livemode,
            policy=policy or csp.Policy(csp.nonce()),
        )


def livemode(request: Request, slug: str) -> bool:
    """Whether the address is the live site's (`/p/{slug}/...`), not the test one's."""
    test = f"/p/{slug}/test"
    path = request.url.path
    return not (path == test or path.startswith(test + "/"))


def root(account: Account, livemode: bool) -> str | None:
    if account.slug is None:
        return None
    return f"/p/{account.slug}" + ("" if livemode else "/test")


def open_site(session: Session, slug: str, livemode: bool) -> Site | None:
    account = accounts.by_slug(session, slug)
    if account is None:
        return None
    base = root(account, livemode)
    assert base is not None
    return Site(account, Tenant(account.id, livemode), base, pages.brand_of(session, account))
