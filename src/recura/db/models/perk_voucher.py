from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, TenantColumns

AVAILABLE = text("customer_id IS NULL")


class PerkVoucher(TenantColumns, Base):
    """One code of a voucher perk's pool: free until it is given to a customer, then that
    customer's for good. A code is in a pool once, and a customer holds at most one code
    of a perk (NULLs are distinct: free codes do not collide)."""

    __tablename__ = "perk_vouchers"
    __table_args__ = (
        UniqueConstraint("account_id", "perk_id", "code"),
        UniqueConstraint("account_id", "perk_id", "customer_id"),
        ForeignKeyConstraint(
            ["account_id", "perk_id"], ["partner_perks.account_id", "partner_perks.id"]
        ),
        ForeignKeyConstraint(
            ["account_id", "customer_id"], ["customers.account_id", "customers.id"]
        ),
        # The free codes, in the order they are handed out and counted.
        Index(
            "ix_perk_vouchers_available",
            "account_id",
            "perk_id",
            "id",
            sqlite_where=AVAILABLE,
            postgresql_where=AVAILABLE,
        ),
    )

    perk_id: Mapped[str] = mapped_column(ID)
    code: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[str | None] = mapped_column(ID)
    subscription_id: Mapped[str | None] = mapped_column(ID)
    assigned_at: Mapped[datetime | None]
