from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, EmailStr, Field, Strict, StringConstraints
from stdnum import iban
from stdnum.exceptions import ValidationError

from recura.core import dunning
from recura.domains.accounts.branding import BrandColor, EmbedOrigin, LegalUrl, Slug
from recura.domains.cancellations.schemas import (
    CancellationReason,
    CancellationReasons,
    RetentionOffer,
)
from recura.domains.common.fields import (
    Country,
    Currency,
    Language,
    LocaleCode,
    Name,
    Schema,
    TimeZone,
    example,
    example_in,
    one_line,
)
from recura.domains.common.parties import Address, AddressOut, RegistrationNumber, VatId


def _percentage(value: Decimal) -> Decimal:
    # No VAT rate lies strictly between 0 % and 1 %: such a value is a fraction meant as a
    # percentage (0.21 for 21 %), which would bill a hundredth of the tax.
    if 0 < value < 1:
        raise ValueError(
            f"the VAT rate is a percentage: write {(value * 100).normalize():f} for "
            f"{(value * 100).normalize():f} %, not {value:f}"
        )
    return value


TaxRate = Annotated[
    Decimal,
    Field(
        ge=0,
        le=100,
        max_digits=7,
        decimal_places=4,
        description='VAT in percent: 21 (or "21.00") is 21 %.',
    ),
    AfterValidator(_percentage),
]
Alignment = Literal["anniversary", "calendar"]
CatchUp = Literal["current_period", "every_period"]
SeriesPrefix = Annotated[
    str, StringConstraints(min_length=1, max_length=16, pattern=r"^[A-Z0-9][A-Z0-9-]*$")
]

DiscountPolicy = Literal["all", "forever_only", "none"]
ChurnTiming = Literal["period_end", "cancellation"]
GrossMargin = Annotated[Decimal, Field(ge=0, le=1, max_digits=5, decimal_places=4)]


class MetricSettingsIn(Schema):
    """The choices revenue-metric tools disagree on (docs/metrics.md, Settings). Fields
    left out keep their value; changing `churn_timing` or `reactivation_window_days`
    recomputes the account's rollups."""

    model_config = example_in(
        {"churn_timing": "cancellation", "reactivation_window_days": 90},
        {"gross_margin": "0.8", "reporting_currency": "EUR"},
    )

    discounts: DiscountPolicy | None = Field(
        default=None,
        description="Which discounts lower MRR: all, only those without an end, or none "
        "(list price).",
    )
    churn_timing: ChurnTiming | None = Field(
        default=None,
        description="A subscription set to cancel stops counting at its period end, or as "
        "soon as the customer asks.",
    )
    reactivation_window_days: int | None = Field(
        default=None,
        ge=0,
        le=3650,
        description="A customer paying again at most this many days after churning is a "
        "reactivation, later new business; null: always a reactivation.",
    )
    include_metered: bool | None = Field(
        default=None, description="Usage charges count in MRR (their last period's amount)."
    )
    gross_margin: GrossMargin | None = Field(
        default=None,
        description='Share of revenue kept after the cost of serving it, 0 to 1 ("0.8"); '
        "LTV and CAC payback use it.",
    )
    reporting_currency: Currency | None = Field(
        default=None,
        description="The currency metrics are converted to when asked for one total; null: "
        "the account's default currency.",
    )


class MetricSettingsOut(BaseModel):
    model_config = example(
        {
            "discounts": "all",
            "churn_timing": "period_end",
            "reactivation_window_days": None,
            "include_metered": False,
            "gross_margin": "1",
            "reporting_currency": None,
        }
    )

    discounts: DiscountPolicy
    churn_timing: ChurnTiming
    reactivation_window_days: int | None
    include_metered: bool
    gross_margin: Decimal
    reporting_currency: str | None


ACCOUNT_EXAMPLE = {
    "object": "account",
    "id": "acct_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "legal_name": "Norditech Software SRL",
    "country": "RO",
    "default_currency": "RON",
    "timezone": "Europe/Bucharest",
    "locale": "ro",
    "fallback_locale": "en",
    "invoice_series_prefix": "NDT",
    "billing_alignment": "anniversary",
    "tax_rate": "21",
    "tax_inclusive": False,
    "vat_id": "RO18547290",
    "registration_number": "J12/3456/2019",
    "share_capital": 20000,
    "share_capital_currency": "RON",
    "address": {
        "line1": "Str. Memorandumului 28",
        "line2": "Etaj 3",
        "city": "Cluj-Napoca",
        "postal_code": "400114",
        "region": None,
        "county": "RO-CJ",
        "sector": None,
        "country": "RO",
    },
    "vat_registered": True,
    "oss_registered": False,
    "eu_b2c_over_threshold": False,
    "vat_recheck_days": 30,
    "days_until_due": 14,
    "catch_up": "current_period",
    "retry_days": [1, 3, 5, 7],
    "dunning_final_action": "cancel",
    "iban": "RO49AAAA1B31007593840000",
    "bic": "AAAARO22",
    "email_from_name": "Norditech",
    "email_from_address": "facturare@norditech.ro",
    "email_reply_to": "suport@norditech.ro",
    "winback_days": 14,
    "invoice_reminder_days": 3,
    "slug": "norditech",
    "brand_color": "#2f6fed",
    "terms_url": "https://norditech.ro/termeni",
    "privacy_url": "https://norditech.ro/confidentialitate",
    "pricing_embed_origins": ["https://norditech.ro"],
    "pricing_highlight_plan_id": None,
    "support_email": "ajutor@norditech.ro",
    "cancellation_reasons": [
        {"code": "too_expensive", "labels": {"en": "It is too expensive", "ro": "Este prea scump"}},
        {"code": "other", "labels": {"en": "Another reason", "ro": "Alt motiv"}},
    ],
    "retention_offer": {"kind": "pause", "months": 2},
    "portal_pause_enabled": False,
    "portal_downgrade_timing": "period_end",
    "trial_requires_payment_method": True,
    "invoice_pdfs": True,
    "metric_settings": {
        "discounts": "all",
        "churn_timing": "period_end",
        "reactivation_window_days": None,
        "include_metered": False,
        "gross_margin": "1",
        "reporting_currency": None,
    },
    "livemode": False,
    "created_at": "2026-01-15T09:30:00Z",
}


def _retry_days(value: list[int]) -> list[int]:
    return list(dunning.check_schedule(value))


def _iban(value: str) -> str:
    try:
        return str(iban.validate(value))
    except ValidationError as error:
        raise ValueError(f"not a valid IBAN: {error}") from None


RetryDays = Annotated[list[Annotated[int, Strict()]], AfterValidator(_retry_days)]
FinalAction = Literal["cancel", "mark_unpaid", "leave_past_due"]
DowngradeTiming = Literal["period_end", "now"]
Iban = Annotated[str, StringConstraints(max_length=42), AfterValidator(_iban)]
# No line breaks: the name goes into the From header.
SenderName = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(one_line)
]
Bic = Annotated[str, StringConstraints(pattern=r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")]


_FALLBACK = (
    "The language of subscribers whose own language (the customer's `locale`) is not one "
    "Recura writes: `en` or `ro`."
)


_VAT_REGISTERED = (
    "Registered for VAT. An account established in the EU that is not charges no VAT (the "
    "small enterprises' scheme); one that is charges the EU's rates in force on each "
    "period's start, by where its customers are (`tax_rate` is a seller's outside the EU)."
)
_LEGAL_VAT_ID = (
    "The seller's tax number as invoices print it: in Romania the CUI (CIF), with the RO "
    "prefix when registered for VAT; checked for format and check digits."
)
_LEGAL_REGISTRATION = "The trade-register number; in Romania the ONRC number (J12/3456/2019)."
_SHARE_CAPITAL = (
    "The subscribed share capital in minor units (20000 is 200.00), printed on invoices as "
    "a company's must be."
)
_LEGAL_ADDRESS = (
    "The registered office; a Romanian address names its county (ISO 3166-2:RO) and, in "
    "Bucharest, its sector."
)
_OSS = "Registered in the One-Stop Shop union scheme: EU consumers pay their country's VAT."
_THRESHOLD = (
    "Sales to consumers in other EU states passed EUR 10,000 this or last calendar year: "
    "they pay their country's VAT."
)


class AccountCreate(Schema):
    model_config = example_in(
        {
            "legal_name": "Norditech Software SRL",
            "country": "RO",
            "default_currency": "RON",
            "timezone": "Europe/Bucharest",
            "locale": "ro",
            "invoice_series_prefix": "NDT",
        }
    )

    legal_name: Name
    country: Country
    default_currency: Currency
    timezone: TimeZone = "UTC"
    locale: LocaleCode = "en"
    fallback_locale: Language = Field(default="en", description=_FALLBACK)
    invoice_series_prefix: SeriesPrefix = "INV"
    tax_rate: TaxRate = Decimal(0)
    tax_inclusive: bool = Field(default=False, description="Catalog prices include VAT.")
    vat_registered: bool = Field(default=False, description=_VAT_REGISTERED)
    oss_registered: bool = Field(default=False, description=_OSS)
    eu_b2c_over_threshold: bool = Field(default=False, description=_THRESHOLD)


class AccountUpdate(Schema):
    model_config = example_in(
        {"legal_name": "Norditech Cloud SRL", "invoice_series_prefix": "NDC"},
        {"tax_rate": "21", "billing_alignment": "calendar"},
        {"email_from_name": "Norditech", "email_from_address": "facturare@norditech.ro"},
    )

    legal_name: Name | None = None
    vat_id: VatId | None = Field(default=None, description=_LEGAL_VAT_ID)
    registration_number: RegistrationNumber | None = Field(
        default=None, description=_LEGAL_REGISTRATION
    )
    share_capital: int | None = Field(default=None, ge=0, description=_SHARE_CAPITAL)
    share_capital_currency: Currency | None = Field(
        default=None, description="Default: the account's default currency."
    )
    address: Address | None = Field(default=None, description=_LEGAL_ADDRESS)
    country: Country | None = None
    default_currency: Currency | None = None
    timezone: TimeZone | None = None
    locale: LocaleCode | None = None
    fallback_locale: Language | None = Field(default=None, description=_FALLBACK)
    invoice_series_prefix: SeriesPrefix | None = None
    billing_alignment: Alignment | None = Field(
        default=None, description="Periods start on the subscription's start or on the 1st."
    )
    tax_rate: TaxRate | None = Field(
        default=None,
        description='VAT in percent (21 or "21.00" is 21 %; 0.21 is refused), unless a '
        "customer has its own; for a seller established in the EU the rates come from the "
        "EU's rate table instead (see `vat_registered`).",
    )
    tax_inclusive: bool | None = Field(default=None, description="Catalog prices include VAT.")
    vat_registered: bool | None = Field(default=None, description=_VAT_REGISTERED)
    oss_registered: bool | None = Field(default=None, description=_OSS)
    eu_b2c_over_threshold: bool | None = Field(default=None, description=_THRESHOLD)
    vat_recheck_days: int | None = Field(
        default=None,
        ge=1,
        le=365,
        description="A customer's EU VAT number confirmed by VIES longer ago than this is "
        "checked again (before the renewals it decides the VAT of); applies from each "
        "number's next check.",
    )
    days_until_due: int | None = Field(
        default=None, ge=0, le=365, description="When a sent invoice falls due."
    )
    catch_up: CatchUp | None = Field(
        default=None,
        description="A subscription several periods behind (after an outage) is billed for "
        "the current period only, or for every missed one.",
    )
    retry_days: RetryDays | None = Field(
        default=None,
        description="Dunning: a failed charge is retried this many days after the first "
        "failure (strictly increasing, 1 to 60 days, at most 12 retries; [] for none).",
    )
    dunning_final_action: FinalAction | None = Field(
        default=None,
        description="When the last retry fails: cancel the subscription, mark it unpaid, or "
        "leave it past due.",
    )
    iban: Iban | None = Field(
        default=None,
        description="Where bank transfers are paid to; registered as one of the account's "
        "bank accounts too (see /v1/bank_accounts).",
    )
    bic: Bic | None = None
    email_from_name: SenderName | None = Field(
        default=None, description="The name subscribers' emails come from; null: the legal name."
    )
    email_from_address: EmailStr | None = Field(
        default=None, description="The address subscribers' emails come from; null: Recura's."
    )
    email_reply_to: EmailStr | None = Field(
        default=None, description="Where replies to those emails go; null: the sender."
    )
    winback_days: int | None = Field(
        default=None,
        ge=1,
        le=365,
        description="Days after a cancellation when the win-back email goes out; null: never.",
    )
    invoice_reminder_days: int | None = Field(
        default=None,
        ge=1,
        le=60,
        description="Days before an invoice sent for payment by transfer falls due when its "
        "reminder goes out; null: never.",
    )
    # Public pages and branding.
    slug: Slug | None = Field(
        default=None,
        description="The account's public pages live under /p/{slug}: the pricing page, "
        "portal sign-in. Lowercase letters, digits and hyphens; null: no public pages.",
    )
    brand_color: BrandColor | None = Field(
        default=None,
        description="Buttons and links on the public pages and emails (#rrggbb); white text "
        "on it must have a contrast of at least 4.5:1.",
    )
    terms_url: LegalUrl | None = Field(
        default=None, description="The merchant's terms, linked from every page and email."
    )
    privacy_url: LegalUrl | None = Field(
        default=None, description="The merchant's privacy policy, linked like the terms."
    )
    pricing_embed_origins: list[EmbedOrigin] | None = Field(
        default=None,
        max_length=10,
        description="Sites that may show the pricing page in an iframe (CSP frame-ancestors); "
        "[] for none.",
    )
    pricing_highlight_plan_id: str | None = Field(
        default=None, description="The plan the pricing page highlights; null: none."
    )
    # Support requests
    support_email: EmailStr | None = Field(
        default=None,
        description="Where subscribers' support requests and their replies are emailed; "
        "null: `email_reply_to`, else `email_from_address`.",
    )
    cancellation_reasons: CancellationReasons | None = Field(
        default=None,
        description="The reasons a subscriber leaving may pick (1 to 12, each code once, "
        "labelled in en and ro); null: Recura's default list.",
    )
    retention_offer: RetentionOffer | None = Field(
        default=None,
        description="The one offer shown to a subscriber about to cancel: a coupon (for its "
        "own duration), a pause of 1 to 3 months, or a cheaper plan of the same product from "
        "the period end; null: none.",
    )
    portal_pause_enabled: bool | None = Field(
        default=None, description="Subscribers may pause and resume from the portal."
    )
    portal_downgrade_timing: DowngradeTiming | None = Field(
        default=None,
        description="When a cheaper plan chosen in the portal takes effect: at the period end, "
        "or at once with the unused time credited. Upgrades always apply at once.",
    )
    trial_requires_payment_method: bool | None = Field(
        default=None,
        description="Hosted checkout: a trial starts only with a payment method (a card) "
        "saved; false lets subscribers start one without.",
    )
    invoice_pdfs: bool | None = Field(
        default=None,
        description="Recura makes the PDF of each invoice and credit note issued from now "
        "on and attaches it to the invoice emails; false when another system issues them.",
    )
    metric_settings: MetricSettingsIn | None = Field(
        default=None,
        description="How revenue metrics are counted (docs/metrics.md); fields left out keep "
        "their value.",
    )


# Unlike the other settings, these may be cleared: null in a PATCH removes them.
CLEARABLE = frozenset(
    {
        "vat_id",
        "registration_number",
        "share_capital",
        "share_capital_currency",
        "address",
        "email_from_name",
        "email_from_address",
        "email_reply_to",
        "winback_days",
        "invoice_reminder_days",
        "slug",
        "terms_url",
        "privacy_url",
        "pricing_highlight_plan_id",
        "support_email",
        "cancellation_reasons",
        "retention_offer",
    }
)


class AccountOut(BaseModel):
    model_config = example(ACCOUNT_EXAMPLE)

    object: Literal["account"] = "account"
    id: str
    legal_name: str
    vat_id: str | None
    registration_number: str | None
    share_capital: int | None
    share_capital_currency: str | None
    address: AddressOut | None
    country: str
    default_currency: str
    timezone: str
    locale: str
    fallback_locale: str
    invoice_series_prefix: str
    billing_alignment: str
    tax_rate: Decimal
    tax_inclusive: bool
    vat_registered: bool
    oss_registered: bool
    eu_b2c_over_threshold: bool
    vat_recheck_days: int = 30
    days_until_due: int
    catch_up: str
    retry_days: list[int]
    dunning_final_action: str
    iban: str | None
    bic: str | None
    email_from_name: str | None
    email_from_address: str | None
    email_reply_to: str | None
    winback_days: int | None
    invoice_reminder_days: int | None
    slug: str | None
    brand_color: str
    terms_url: str | None
    privacy_url: str | None
    pricing_embed_origins: list[str]
    pricing_highlight_plan_id: str | None
    support_email: str | None
    cancellation_reasons: list[CancellationReason] = Field(
        description="Recura's default list unless the account set its own."
    )
    retention_offer: RetentionOffer | None
    portal_pause_enabled: bool
    portal_downgrade_timing: DowngradeTiming
    trial_requires_payment_method: bool
    invoice_pdfs: bool
    metric_settings: MetricSettingsOut
    livemode: bool
    created_at: datetime


# Account numbers as banks write them: an IBAN, or the bank's own number (Othr/Id).
AccountNumber = Annotated[str, StringConstraints(min_length=1, max_length=42)]

BANK_ACCOUNT_EXAMPLE = {
    "object": "bank_account",
    "id": "bac_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "iban": "RO49AAAA1B31007593840000",
    "number": None,
    "currency": "RON",
    "livemode": False,
    "created_at": "2026-01-15T09:30:00Z",
}


class BankAccountCreate(Schema):
    model_config = example_in({"iban": "RO49 AAAA 1B31 0075 9384 0000", "currency": "RON"})

    iban: AccountNumber | None = Field(
        default=None,
        description="The account's IBAN; spaces and case do not matter, and check digits are "
        "not verified (statements are matched as the bank writes them).",
    )
    number: AccountNumber | None = Field(
        default=None,
        description="The bank's own number for the account, as its statements give it in "
        "Acct/Id/Othr/Id.",
    )
    currency: Currency | None = Field(
        default=None, description="Only statements in this currency; null: any currency."
    )


class BankAccountOut(BaseModel):
    model_config = example(BANK_ACCOUNT_EXAMPLE)

    object: Literal["bank_account"] = "bank_account"
    id: str
    iban: str | None
    number: str | None
    currency: str | None
    livemode: bool
    created_at: datetime
