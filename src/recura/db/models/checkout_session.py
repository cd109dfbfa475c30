from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ForeignKeyConstraint, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class CheckoutSession(TenantColumns, Base):
    """A subscriber's way through the hosted checkout to one subscription: what is sold, the
    details typed so far, how far they got, and what it made once complete."""

    __tablename__ = "checkout_sessions"
    __table_args__ = (
        # One checkout makes at most one subscription.
        UniqueConstraint("account_id", "subscription_id"),
        ForeignKeyConstraint(["account_id", "plan_id"], ["plans.account_id", "plans.id"]),
        ForeignKeyConstraint(
            ["account_id", "customer_id"], ["customers.account_id", "customers.id"]
        ),
        # The abandoned list: open or expired sessions by age.
        Index("ix_checkout_sessions_account_id_status", "account_id", "livemode", "status"),
        # The hosted page's address names the session alone (`/checkout/{id}`).
        Index("ix_checkout_sessions_id", "id"),
    )

    plan_id: Mapped[str] = mapped_column(ID)
    quantity: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    # [{"add_on_id": ..., "quantity": "2"}]
    add_ons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    coupon_id: Mapped[str | None] = mapped_column(ID)
    allow_promotion_codes: Mapped[bool] = mapped_column(Boolean)
    # The promotion code the subscriber typed, once accepted.
    promotion_code_id: Mapped[str | None] = mapped_column(ID)
    # Given by the merchant (`customer_given`), or made by the checkout once, however often
    # it is asked.
    customer_id: Mapped[str | None] = mapped_column(ID)
    customer_given: Mapped[bool] = mapped_column(Boolean)
    customer_email: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    # Null for a public plan checkout: the checkout page shows its own thanks.
    success_url: Mapped[str | None] = mapped_column(String(2048))
    cancel_url: Mapped[str | None] = mapped_column(String(2048))
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSONType)
    # {channel, utm_source, utm_medium, utm_campaign, utm_term, utm_content}
    acquisition: Mapped[dict[str, str]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))
    # The furthest stage reached, and when each was first reached.
    stage: Mapped[str | None] = mapped_column(String(16))
    opened_at: Mapped[datetime | None]
    details_at: Mapped[datetime | None]
    payment_method_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    # The subscriber's details as last validated (kind, names, VAT id, address).
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # When the subscriber accepted the terms, on the confirmation that completed it.
    terms_accepted_at: Mapped[datetime | None]
    # Why the last confirmation did not complete (a message key), until one does.
    last_error: Mapped[str | None] = mapped_column(String(64))
    subscription_id: Mapped[str | None] = mapped_column(ID)
    expires_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
