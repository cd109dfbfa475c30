"""What partner perks add to the emails: the perks a welcome email lists, and the notice
to the merchant when a voucher pool runs low (`rendering.MERCHANT`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from recura.db.models import Account
from recura.domains.common import languages
from recura.domains.common.tenant import Tenant
from recura.domains.partner_perks import repository as perks_repository
from recura.domains.partner_perks import views


def add_welcome_perks(session: Session, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Put the perks of each welcome email's customer in its context, in the email's
    language: codes given when the subscription started, links signed to last a while
    (`views.EMAIL_LINK_TTL`). Accounts without perks cost one query for the batch."""
    welcomes = [row for row in rows if row["template"] == "welcome" and row["customer_id"]]
    if not welcomes:
        return
    offering = perks_repository.accounts_with_perks(
        session, [row["account_id"] for row in welcomes]
    )
    for row in welcomes:
        if row["account_id"] not in offering:
            continue
        tenant = Tenant(row["account_id"], row["livemode"])
        found = views.perks_for(
            session,
            tenant,
            row["customer_id"],
            row["locale"],
            now,
            link_ttl=views.EMAIL_LINK_TTL,
        )
        if found:
            row["context"]["perks"] = [perk.as_context() for perk in found]


def merchant_address(account: Account) -> str | None:
    """Where notices to the merchant go: the address its subscribers reply to, or else the
    one its emails come from (None: nowhere, and the notice is logged as skipped)."""
    return account.email_reply_to or account.email_from_address


def merchant_locale(account: Account) -> str:
    return languages.for_customer(None, account.locale, account.fallback_locale)
