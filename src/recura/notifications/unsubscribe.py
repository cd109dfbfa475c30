"""The unsubscribe link of marketing emails (the win-back): it opts the customer out of
them; invoices, receipts and payment notices still go out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.notifications import link_owners
from recura.notifications.link_owners import Found


def find(session: Session, secret: bytes, token: str, now: datetime) -> Found | None:
    """The customer the token names, if it is a genuine, unexpired unsubscribe token."""
    return link_owners.find(session, secret, token, "unsubscribe", now)


def opt_out(found: Found, now: datetime) -> None:
    """Idempotent: the first opt-out's time is kept."""
    if found.customer.marketing_opted_out_at is None:
        found.customer.marketing_opted_out_at = now
        found.customer.updated_at = now
