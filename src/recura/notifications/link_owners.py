"""Whom a signed link from an email is for: the customer it names, in the account and mode
it was signed for, when the token is genuine, unexpired and for the page it opens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import Account, Customer
from recura.domains.accounts import repository as accounts
from recura.domains.common import languages
from recura.domains.customers import repository as customers
from recura.notifications import links


@dataclass(frozen=True, slots=True)
class Found:
    claims: links.Claims
    customer: Customer
    account: Account
    locale: str  # the language the customer reads


def find(
    session: Session, secret: bytes, token: str, purpose: links.Purpose, now: datetime
) -> Found | None:
    try:
        claims = links.verify(secret, token, purpose, now)
    except links.InvalidToken:
        return None
    customer = customers.find_by_key(session, claims.account_id, claims.customer_id)
    if customer is None or customer.livemode != claims.livemode:
        return None
    account = accounts.account_by_key(session, claims.account_id)
    locale = languages.for_customer(customer.locale, account.locale, account.fallback_locale)
    return Found(claims, customer, account, locale)
