"""Resetting a forgotten password by email. Asking writes the email (no event: it is not
the business's news, and no webhook should carry it) to each user with the address and
gives each one reset nonce; the emailed link (`password_reset`, signed when sent, good for
30 minutes) names the user and that nonce, so it works once and only the newest does."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import EmailMessage, User
from recura.domains.accounts import repository as accounts
from recura.domains.common import languages
from recura.domains.users import repository
from recura.domains.users.schemas import UserProblem, email_address
from recura.ids import new_id

TEMPLATE = "password_reset"


def request(session: Session, email: str, now: datetime) -> int:
    """Email a reset link to each user with the address; 0 and nothing written for an
    unknown one (the page answers the same)."""
    try:
        address = email_address(email)
    except UserProblem:
        return 0
    found = repository.everywhere_by_email(session, address)
    for user in found:
        user.password_reset = secrets.token_urlsafe(18)
        _write_email(session, user, now)
    session.flush()
    return len(found)


def send(session: Session, user: User, now: datetime) -> None:
    """Email one user a link to choose a password: an invitation, or a manager's reset."""
    user.password_reset = secrets.token_urlsafe(18)
    _write_email(session, user, now)
    session.flush()


def user_for(session: Session, account_id: str, subject: str | None) -> User | None:
    """The user a genuine link names, while its nonce is still the user's."""
    user_id, _, nonce = (subject or "").partition(".")
    user = repository.get(session, account_id, user_id) if user_id and nonce else None
    if user is None or user.password_reset is None:
        return None
    return user if hmac.compare_digest(user.password_reset, nonce) else None


def _write_email(session: Session, user: User, now: datetime) -> None:
    account = accounts.account_by_key(session, user.account_id)
    locale = languages.for_customer(user.locale, account.locale, account.fallback_locale)
    reset_id = new_id("password_reset")
    session.add(
        EmailMessage(
            account_id=user.account_id,
            id=new_id("email_message"),
            # Operators are the business's own people, not test data.
            livemode=True,
            created_at=now,
            event_id=reset_id,
            template=TEMPLATE,
            customer_id=None,
            to_address=user.email,
            locale=locale,
            context={"user_name": user.name, "password_reset": f"{user.id}.{user.password_reset}"},
            subject=None,
            text=None,
            html=None,
            status="pending",
            attempts=0,
            send_after=now,
            test_clock_id=None,
            claimed_at=None,
            next_attempt_at=None,
            message_id=f"<{reset_id}.{TEMPLATE}@recura>",
            last_error=None,
            sent_at=None,
            updated_at=now,
        )
    )
