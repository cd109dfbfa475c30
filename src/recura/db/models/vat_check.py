from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, TenantColumns


class VatCheck(TenantColumns, Base):
    """One VIES check of a customer's VAT number, kept as proof: the number asked about, the
    requester (the account's own VAT number, which makes VIES give a consultation number),
    the answer (valid, invalid, unavailable with VIES's error code), the consultation number
    and the name and address VIES returned. Rows are only added, never changed."""

    __tablename__ = "vat_checks"
    __table_args__ = (
        Index(
            "ix_vat_checks_account_id_livemode_customer_id",
            "account_id",
            "livemode",
            "customer_id",
            "created_at",
        ),
    )

    customer_id: Mapped[str] = mapped_column(String(40))
    vat_id: Mapped[str] = mapped_column(String(32))
    requester_vat_id: Mapped[str | None] = mapped_column(String(32))
    # valid, invalid or unavailable.
    result: Mapped[str] = mapped_column(String(16))
    # VIES's error code when it could not answer (MS_UNAVAILABLE, TIMEOUT, ...).
    error: Mapped[str | None] = mapped_column(String(40))
    consultation_number: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(500))
    address: Mapped[str | None] = mapped_column(String(1000))
    # When VIES answered (its requestDate), else when Recura asked.
    checked_at: Mapped[datetime]
