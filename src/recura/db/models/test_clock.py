from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, TenantColumns


class TestClock(TenantColumns, Base):
    """Test mode's own time: customers attached to it live at `frozen_time`, and advancing
    it runs everything that falls due on the way."""

    __tablename__ = "test_clocks"
    __test__ = False  # not a pytest test class, whatever its name

    name: Mapped[str] = mapped_column(String(200))
    frozen_time: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime]
