from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class Customer(TenantColumns, Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("account_id", "livemode", "external_id"),
        Index("ix_customers_account_id_email", "account_id", "email"),
        # New customers per channel (acquisition cost per customer).
        Index("ix_customers_account_id_acquisition_channel", "account_id", "acquisition_channel"),
        ForeignKeyConstraint(
            ["account_id", "test_clock_id"], ["test_clocks.account_id", "test_clocks.id"]
        ),
        # VAT numbers due a VIES check, across accounts (the worker's claim).
        Index("ix_customers_vat_check_due_at", "vat_check_due_at"),
    )

    external_id: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    locale: Mapped[str | None] = mapped_column(String(16))
    currency: Mapped[str | None] = mapped_column(String(3))
    vat_id: Mapped[str | None] = mapped_column(String(32))
    # When VIES last confirmed `vat_id` valid (null: never, or the number changed since);
    # only a confirmed number makes an EU customer's services reverse-charged.
    vat_id_validated_at: Mapped[datetime | None]
    # The state of `vat_id`'s VIES check (domains/customers/vat_checks.py): not_checked,
    # validated, invalid or pending (VIES could not answer); null when there is no EU VAT
    # number to check. Each check is kept in `vat_checks` as proof.
    vat_check: Mapped[str | None] = mapped_column(String(16))
    # When the worker checks `vat_id` next: at once for a new number, a retry after VIES
    # could not answer, the account's `vat_recheck_days` after a check; null: nothing due.
    vat_check_due_at: Mapped[datetime | None]
    # A Romanian person's personal numeric code (CNP), named on their e-invoices; without
    # one ANAF's thirteen zeros stand in (`billing.buyer_identifier`).
    national_id: Mapped[str | None] = mapped_column(String(13))
    # Who is billed: a person, or a company with its legal name and trade-register number.
    kind: Mapped[str] = mapped_column(String(16), default="individual", server_default="individual")
    legal_name: Mapped[str | None] = mapped_column(String(200))
    registration_number: Mapped[str | None] = mapped_column(String(64))
    # line1, line2, city, postal_code, region, country; county as ISO 3166-2 (RO-CJ) and,
    # in Bucharest, its sector (1-6).
    address: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # The customer's own VAT rate (percent), replacing the account's; null uses the account's.
    tax_rate: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    # Test mode only: the customer lives on this test clock's time, not the real one.
    test_clock_id: Mapped[str | None] = mapped_column(ID)
    # What invoices are charged to; null: invoices wait for a method (or a transfer).
    default_payment_method_id: Mapped[str | None] = mapped_column(ID)
    # Set by the unsubscribe link: no more win-back (marketing) emails; billing ones go on.
    marketing_opted_out_at: Mapped[datetime | None]
    # Where the customer came from: a slug (core/acquisition.py: google_ads, newsletter,
    # organic, referral, pricing_page, direct...), and the utm_* fields of its checkout.
    acquisition_channel: Mapped[str | None] = mapped_column(String(40))
    acquisition: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSONType)
    archived_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
