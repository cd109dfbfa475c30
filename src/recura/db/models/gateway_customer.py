from __future__ import annotations

from sqlalchemy import Boolean, ForeignKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class GatewayCustomer(Base):
    """The processor's id for one of our customers (a Stripe `cus_…`), made once and reused."""

    __tablename__ = "gateway_customers"
    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "customer_id"], ["customers.account_id", "customers.id"]
        ),
    )

    account_id: Mapped[str] = mapped_column(ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ID, primary_key=True)
    gateway: Mapped[str] = mapped_column(String(16), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    reference: Mapped[str] = mapped_column(String(255))
