from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, TenantColumns


class EmailTemplate(TenantColumns, Base):
    """An operator's own version of one email in one language, used instead of Recura's."""

    __tablename__ = "email_templates"
    __table_args__ = (UniqueConstraint("account_id", "livemode", "template", "locale"),)

    template: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(998))
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
    # Set when sending with it went over the rendering budget or failed: emails go out in
    # Recura's version until the override is saved again.
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(1000))
