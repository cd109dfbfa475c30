from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKeyConstraint, Numeric, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, TenantColumns


class SubscriptionAddOn(TenantColumns, Base):
    """An add-on a subscription carries, billed with it every period."""

    __tablename__ = "subscription_add_ons"
    __table_args__ = (
        UniqueConstraint("account_id", "subscription_id", "add_on_id"),
        ForeignKeyConstraint(
            ["account_id", "subscription_id"], ["subscriptions.account_id", "subscriptions.id"]
        ),
        ForeignKeyConstraint(["account_id", "add_on_id"], ["add_ons.account_id", "add_ons.id"]),
    )

    subscription_id: Mapped[str] = mapped_column(ID)
    add_on_id: Mapped[str] = mapped_column(ID)
    quantity: Mapped[Decimal] = mapped_column(Numeric(20, 6))
