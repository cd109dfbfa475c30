from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class FeatureGrant(TenantColumns, Base):
    """What a plan or an add-on grants of a feature: true/false, a limit, or a usage cap.

    `value` is a bool for boolean features, an int (or null for unlimited) for the others.
    """

    __tablename__ = "feature_grants"
    __table_args__ = (
        UniqueConstraint("account_id", "plan_id", "feature_id"),
        UniqueConstraint("account_id", "add_on_id", "feature_id"),
        CheckConstraint("(plan_id IS NULL) <> (add_on_id IS NULL)", name="one_owner"),
        ForeignKeyConstraint(["account_id", "plan_id"], ["plans.account_id", "plans.id"]),
        ForeignKeyConstraint(["account_id", "add_on_id"], ["add_ons.account_id", "add_ons.id"]),
        ForeignKeyConstraint(["account_id", "feature_id"], ["features.account_id", "features.id"]),
    )

    plan_id: Mapped[str | None] = mapped_column(ID)
    add_on_id: Mapped[str | None] = mapped_column(ID)
    feature_id: Mapped[str] = mapped_column(ID)
    value: Mapped[Any] = mapped_column(JSONType)
