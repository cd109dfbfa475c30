"""The unsubscribe link of marketing emails (the win-back): it opts the customer out of
them; invoices, receipts and payment notices still go out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import Account, Customer
from recura.notifications import links, rendering


@dataclass(frozen=True, slots=True)
class Found:
    customer: Customer
    account: Account
    locale: str


def find(session: Session, secret: bytes, token: str, now: datetime) -> Found | None:
    """The customer the token names, if it is a genuine, unexpired unsubscribe token."""
    try:
        claims = links.verify(secret, token, "unsubscribe", now)
    except links.InvalidToken:
        return None
    customer = session.get(Customer, (claims.account_id, claims.customer_id))
    if customer is None or customer.livemode != claims.livemode:
        return None
    account = session.get_one(Account, claims.account_id)
    return Found(customer, account, rendering.supported_locale(customer.locale, account.locale))


def opt_out(found: Found, now: datetime) -> None:
    """Idempotent: the first opt-out's time is kept."""
    if found.customer.marketing_opted_out_at is None:
        found.customer.marketing_opted_out_at = now
        found.customer.updated_at = now
