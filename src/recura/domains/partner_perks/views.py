"""What a subscriber sees of its partner perks (the portal's benefits, the welcome email)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from recura.core import perk_tokens
from recura.db.models import PartnerPerk
from recura.domains.common.languages import DEFAULT
from recura.domains.common.tenant import Tenant
from recura.domains.partner_perks import pool, repository
from recura.domains.partner_perks.schemas import PerkKind
from recura.domains.partner_perks.service import TOKEN

# How long a link's token stays valid: a page makes a fresh one each time it is shown; an
# email's must last until the subscriber gets round to reading it.
PAGE_LINK_TTL = timedelta(hours=1)
EMAIL_LINK_TTL = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class PerkView:
    """One perk as its subscriber sees it. A voucher perk has its `code`, or none yet
    (`pending`: the pool ran dry, the code is on its way); a link perk its `url`, with a
    token valid until `expires_at`."""

    id: str
    name: str
    partner_name: str
    description: str
    kind: str  # "voucher" | "link"
    code: str | None = None
    url: str | None = None
    expires_at: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.kind == PerkKind.VOUCHER.value and self.code is None

    def as_context(self) -> dict[str, Any]:
        """As an email's stored context holds it (JSON)."""
        return {
            "name": self.name,
            "partner_name": self.partner_name,
            "description": self.description,
            "kind": self.kind,
            "code": self.code,
            "url": self.url,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "pending": self.pending,
        }


def description_in(perk: PartnerPerk, locale: str) -> str:
    """The perk's text in `locale`, else in English, else in the language it has."""
    texts = perk.description
    return texts.get(locale) or texts.get(DEFAULT) or next(iter(texts.values()), "")


def link_for(perk: PartnerPerk, customer_id: str, expires: datetime) -> str:
    """The perk's link for the customer: its address with a token valid until `expires`."""
    assert perk.url_template is not None
    assert perk.secret is not None
    token = perk_tokens.sign(perk.secret, perk.id, customer_id, expires)
    return perk.url_template.replace(TOKEN, token)


def perks_for(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    locale: str,
    now: datetime,
    *,
    link_ttl: timedelta = PAGE_LINK_TTL,
) -> list[PerkView]:
    """Each perk the customer's live subscriptions grant, oldest perk first, described in
    `locale`: a voucher with the customer's code (or pending), a link with a fresh token
    valid for `link_ttl` from `now`; nothing for an unknown customer. Three queries at
    most."""
    perks = repository.active(session, tenant)
    if not perks:
        return []
    granted = pool.granting(perks, repository.live_terms(session, tenant, customer_id))
    if not granted:
        return []
    vouchers = [p for p, _ in granted.values() if p.kind == PerkKind.VOUCHER.value]
    held = repository.held(session, tenant, customer_id, [p.id for p in vouchers])
    expires = now + link_ttl
    found = []
    for perk in perks:
        if perk.id not in granted:
            continue
        view = PerkView(
            id=perk.id,
            name=perk.name,
            partner_name=perk.partner_name,
            description=description_in(perk, locale),
            kind=perk.kind,
        )
        if perk.kind == PerkKind.LINK.value:
            expiry = expires.replace(microsecond=0)
            view = replace(view, url=link_for(perk, customer_id, expiry), expires_at=expiry)
        elif perk.id in held:
            view = replace(view, code=held[perk.id].code)
        found.append(view)
    return found
