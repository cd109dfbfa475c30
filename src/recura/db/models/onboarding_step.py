from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class OnboardingStep(TenantColumns, Base):
    """One step of a getting-started guide: for one plan, one product, or (neither) every
    subscriber of the account. `code` is the merchant's stable name for it, which its
    product uses to mark the step done."""

    __tablename__ = "onboarding_steps"
    __table_args__ = (
        UniqueConstraint("account_id", "livemode", "code"),
        CheckConstraint("product_id IS NULL OR plan_id IS NULL", name="one_scope"),
        ForeignKeyConstraint(["account_id", "product_id"], ["products.account_id", "products.id"]),
        ForeignKeyConstraint(["account_id", "plan_id"], ["plans.account_id", "plans.id"]),
    )

    code: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[str | None] = mapped_column(ID)
    plan_id: Mapped[str | None] = mapped_column(ID)
    # Steps show in this order, lowest first (then by id).
    position: Mapped[int] = mapped_column(Integer)
    link_url: Mapped[str | None] = mapped_column(String(2000))
    # {"en": {"title": ..., "body": Markdown}, "ro": {...}}: at least one language.
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSONType)
    archived_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
