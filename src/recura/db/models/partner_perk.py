from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, JSONType, TenantColumns


class PartnerPerk(TenantColumns, Base):
    """A partner brand's benefit that plans or add-ons grant their subscribers: a voucher
    code from a pool the merchant uploads (`perk_vouchers`), or a link to the partner
    carrying a token signed with `secret` (docs/partner-perks.md).

    The secret is kept as issued, like a webhook endpoint's: signing needs it, so a hash
    would not do. It is shown once, when made or rotated.
    """

    __tablename__ = "partner_perks"

    name: Mapped[str] = mapped_column(String(200))
    partner_name: Mapped[str] = mapped_column(String(200))
    # What the subscriber reads, per language: {"en": "...", "ro": "..."}.
    description: Mapped[dict[str, str]] = mapped_column(JSONType)
    kind: Mapped[str] = mapped_column(String(16))  # voucher | link
    # A link's address with `{token}` where the signed token goes.
    url_template: Mapped[str | None] = mapped_column(String(2048))
    secret: Mapped[str | None] = mapped_column(String(100))
    # A voucher pool at or below this many free codes is low (null: never warned).
    low_stock_threshold: Mapped[int | None] = mapped_column(Integer)
    # Set when the pool went low and `partner_perk.pool_low` was recorded; cleared when
    # codes lift it above the threshold again: one event per crossing.
    pool_low_at: Mapped[datetime | None]
    plan_ids: Mapped[list[str]] = mapped_column(JSONType)
    add_on_ids: Mapped[list[str]] = mapped_column(JSONType)
    archived_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
