from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, TenantColumns


class OnboardingCompletion(TenantColumns, Base):
    """A customer has done an onboarding step: once, the first time it was marked done."""

    __tablename__ = "onboarding_completions"
    __table_args__ = (
        UniqueConstraint("account_id", "customer_id", "step_id"),
        ForeignKeyConstraint(
            ["account_id", "customer_id"], ["customers.account_id", "customers.id"]
        ),
        ForeignKeyConstraint(
            ["account_id", "step_id"], ["onboarding_steps.account_id", "onboarding_steps.id"]
        ),
    )

    customer_id: Mapped[str] = mapped_column(ID)
    step_id: Mapped[str] = mapped_column(ID)
    completed_at: Mapped[datetime]
    # "subscriber" (from the portal) or "merchant" (its product, through the API).
    completed_by: Mapped[str] = mapped_column(String(16))
