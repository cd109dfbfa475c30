from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType


class Account(Base):
    """A merchant: the tenant every other row belongs to."""

    __tablename__ = "accounts"
    __table_args__ = (Index("ix_accounts_slug", "slug", unique=True),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    default_currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    # The language of a subscriber whose own is one Recura does not write (README: languages).
    fallback_locale: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    invoice_series_prefix: Mapped[str] = mapped_column(String(16))
    # The seller's legal identity, printed on every invoice and e-invoice: its tax number (a
    # Romanian CUI, with the RO prefix when VAT registered), trade-register number, share
    # capital (minor units of `share_capital_currency`) and registered address (the customer
    # address's shape: county as ISO 3166-2, Bucharest sector).
    vat_id: Mapped[str | None] = mapped_column(String(32))
    registration_number: Mapped[str | None] = mapped_column(String(64))
    share_capital: Mapped[int | None] = mapped_column(BigInteger)
    share_capital_currency: Mapped[str | None] = mapped_column(String(3))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # InvoiceBasis settings: where periods start, the VAT rate charged unless a customer has its
    # own, whether catalog prices include it, when a sent invoice is due, and what a
    # subscription that fell several periods behind (an outage) is billed for.
    billing_alignment: Mapped[str] = mapped_column(String(16), server_default="anniversary")
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4), server_default="0")
    # What the VAT decision (core/tax.py) reads of the seller: registered for VAT (else the
    # small enterprises' scheme: no VAT charged), in the OSS union scheme, and over the EUR
    # 10,000 threshold of EU-wide sales to consumers. For a seller established in the EU the
    # rates come from the EU rate table; `tax_rate` is then only a seller's outside it.
    vat_registered: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    oss_registered: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    eu_b2c_over_threshold: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )
    # A customer's EU VAT number confirmed by VIES longer ago than this is checked again
    # before it counts for another invoice (domains/customers/vat_checks.py).
    vat_recheck_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    tax_inclusive: Mapped[bool] = mapped_column(Boolean, server_default="false")
    days_until_due: Mapped[int] = mapped_column(Integer, server_default="14")
    catch_up: Mapped[str] = mapped_column(String(16), server_default="current_period")
    # Dunning: retries this many days after the first failed charge, then the final action
    # (cancel, mark_unpaid, leave_past_due) on the subscription.
    retry_days: Mapped[list[int]] = mapped_column(JSONType, server_default="[1, 3, 5, 7]")
    dunning_final_action: Mapped[str] = mapped_column(String(16), server_default="cancel")
    # Where bank transfers go; printed on every invoice sent for payment by transfer.
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    # Who the subscribers' emails come from (null: the legal name and Recura's address), and
    # how many days after a cancellation the win-back message goes out (null: never).
    email_from_name: Mapped[str | None] = mapped_column(String(200))
    email_from_address: Mapped[str | None] = mapped_column(String(320))
    email_reply_to: Mapped[str | None] = mapped_column(String(320))
    winback_days: Mapped[int | None] = mapped_column(Integer, default=14, server_default="14")
    # How many days before a sent invoice falls due its reminder goes out (null: never).
    invoice_reminder_days: Mapped[int | None] = mapped_column(
        Integer, default=3, server_default="3"
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    # Public pages and branding: the pricing page and sign-in live under /p/{slug} (null: the
    # account has no public pages); the colour of buttons and links, the legal pages linked
    # from every page and email, the sites that may frame the pricing page, its highlighted plan.
    slug: Mapped[str | None] = mapped_column(String(64))
    brand_color: Mapped[str] = mapped_column(String(7), default="#2f6fed", server_default="#2f6fed")
    terms_url: Mapped[str | None] = mapped_column(String(500))
    privacy_url: Mapped[str | None] = mapped_column(String(500))
    pricing_embed_origins: Mapped[list[str]] = mapped_column(
        JSONType, default=list, server_default="[]"
    )
    pricing_highlight_plan_id: Mapped[str | None] = mapped_column(String(40))
    # --- Support requests ---------------------------------------------------------------
    # Where subscribers' support requests and their replies are emailed (null: the
    # `email_reply_to`, else the `email_from_address`).
    support_email: Mapped[str | None] = mapped_column(String(320))
    # Cancellation flow and portal changes: the reasons a subscriber leaving is asked for
    # (null: Recura's default list), the one retention offer shown before they go (null:
    # none), whether the portal lets subscribers pause and resume, and when a downgrade
    # chosen in the portal takes effect ("period_end" or "now").
    cancellation_reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    retention_offer: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    portal_pause_enabled: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )
    portal_downgrade_timing: Mapped[str] = mapped_column(
        String(16), default="period_end", server_default="period_end"
    )
    # Hosted checkout: whether a trial needs a payment method (a card) to start.
    trial_requires_payment_method: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default="true"
    )
    # Whether Recura makes each issued invoice's and credit note's PDF (and attaches it to
    # the invoice emails); off for a merchant whose invoices another system issues.
    invoice_pdfs: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # How revenue metrics are counted (domains/metrics/settings.py): only the settings the
    # account changed, the defaults filling in the rest.
    metric_settings: Mapped[dict[str, Any]] = mapped_column(
        JSONType, default=dict, server_default="{}"
    )
