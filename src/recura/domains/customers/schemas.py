from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, EmailStr, Field, StringConstraints

from recura.core.acquisition import is_channel
from recura.domains.accounts.schemas import TaxRate
from recura.domains.common.fields import (
    Country,
    Currency,
    LocaleCode,
    Metadata,
    Name,
    Schema,
    example,
    example_in,
)
from recura.domains.common.parties import (
    ADDRESS_EXAMPLE,
    Address,
    AddressOut,
    RegistrationNumber,
    VatId,
)

ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Kind = Literal["individual", "company"]
NationalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
_NATIONAL_ID = (
    "A Romanian person's personal numeric code (CNP), checked; named on their e-invoices "
    "(without one, ANAF's thirteen zeros stand in)."
)
VAT_CHECK_EXAMPLE = {
    "status": "validated",
    "validated_at": "2026-03-01T10:00:02Z",
    "consultation_number": "WAPIAAAAX0000001",
    "checked_at": "2026-03-01T10:00:02Z",
    "next_check_at": "2026-03-31T10:00:02Z",
    "name": "Muster GmbH",
    "address": "Musterstr. 1, 10115 Berlin",
}
VatCheckStatus = Literal["not_checked", "validated", "invalid", "pending"]


class VatCheckOut(BaseModel):
    """Where the customer's EU VAT number stands with VIES: `validated` (reverse charge
    applies), `invalid`, `pending` (VIES could not answer: VAT is charged, and the check is
    retried) or `not_checked` yet; the last check's consultation number (VIES's proof) and
    what VIES returned; when it was last checked and is checked next."""

    model_config = example(VAT_CHECK_EXAMPLE)

    status: VatCheckStatus
    validated_at: datetime | None
    consultation_number: str | None
    checked_at: datetime | None
    next_check_at: datetime | None
    name: str | None = Field(default=None, description="The name VIES returned.")
    address: str | None = Field(default=None, description="The address VIES returned.")


def _channel(value: str) -> str:
    if not is_channel(value):
        raise ValueError("must be a slug: letters, digits and underscores, not starting with _")
    return value


# Lower-cased first, so `Newsletter` is `newsletter`.
Channel = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=40),
    AfterValidator(_channel),
]
Utm = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
_CHANNEL = (
    "Where the customer came from, a slug: google_ads, newsletter, organic, referral, "
    "pricing_page, direct, or your own. Set by the checkout that made the customer."
)
ACQUISITION_EXAMPLE = {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "spring"}


class CustomerAcquisition(Schema):
    """The utm_* fields of the link the customer came by."""

    model_config = example_in(ACQUISITION_EXAMPLE)

    utm_source: Utm | None = None
    utm_medium: Utm | None = None
    utm_campaign: Utm | None = None
    utm_term: Utm | None = None
    utm_content: Utm | None = None

    def stored(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


_KIND = "Billed as a person or as a company (a company gives its legal name)."
_REGISTRATION = "The trade-register number; in Romania the ONRC number (J40/12345/2020)."


class CustomerCreate(Schema):
    model_config = example_in(
        {
            "external_id": "user-8812",
            "email": "ana.popescu@example.ro",
            "name": "Ana Popescu",
            "country": "RO",
            "locale": "ro",
            "currency": "RON",
            "vat_id": "RO18547290",
            "kind": "company",
            "legal_name": "Norditech Software SRL",
            "registration_number": "J12/3456/2019",
            "address": ADDRESS_EXAMPLE,
            "metadata": {"crm_id": "HS-2231"},
        }
    )

    external_id: ExternalId | None = Field(
        default=None, description="Your own id for this customer; unique in the account."
    )
    email: EmailStr | None = None
    name: Name | None = None
    country: Country | None = None
    locale: LocaleCode | None = None
    currency: Currency | None = Field(default=None, description="Preferred billing currency.")
    vat_id: VatId | None = Field(
        default=None, description="Checked for format and check digits; EU ids carry a prefix."
    )
    kind: Kind = Field(default="individual", description=_KIND)
    legal_name: Name | None = None
    registration_number: RegistrationNumber | None = Field(default=None, description=_REGISTRATION)
    national_id: NationalId | None = Field(default=None, description=_NATIONAL_ID)
    address: Address | None = None
    tax_rate: TaxRate | None = Field(
        default=None,
        description=(
            "This customer's VAT rate in percent, instead of the standard rate (0: "
            "exempt). Reverse charges, exports and reduced-rate lines keep what the law says."
        ),
    )
    test_clock: str | None = Field(
        default=None,
        max_length=40,
        description="Test mode: the customer lives on this test clock's time.",
    )
    acquisition_channel: Channel | None = Field(
        default=None,
        description=_CHANNEL + " Default: read from `acquisition` (utm_source mapped).",
    )
    acquisition: CustomerAcquisition | None = None
    metadata: Metadata = Field(default_factory=dict)


class CustomerUpdate(Schema):
    """Only the fields sent change; null clears an optional field."""

    model_config = example_in({"email": "ana@norditech.ro", "metadata": {"plan_hint": "pro"}})

    external_id: ExternalId | None = None
    email: EmailStr | None = None
    name: Name | None = None
    country: Country | None = None
    locale: LocaleCode | None = None
    currency: Currency | None = None
    vat_id: VatId | None = None
    kind: Kind | None = None
    legal_name: Name | None = None
    registration_number: RegistrationNumber | None = None
    national_id: NationalId | None = None
    address: Address | None = None
    tax_rate: TaxRate | None = None
    acquisition_channel: Channel | None = Field(default=None, description=_CHANNEL)
    acquisition: CustomerAcquisition | None = None
    metadata: Metadata | None = None


class CustomerOut(BaseModel):
    model_config = example(
        {
            "object": "customer",
            "id": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "external_id": "user-8812",
            "email": "ana.popescu@example.ro",
            "name": "Ana Popescu",
            "country": "RO",
            "locale": "ro",
            "currency": "RON",
            "vat_id": "RO18547290",
            "kind": "company",
            "legal_name": "Norditech Software SRL",
            "registration_number": "J12/3456/2019",
            "national_id": None,
            "address": ADDRESS_EXAMPLE,
            "vat_check": None,
            "tax_rate": None,
            "test_clock": None,
            "acquisition_channel": "google_ads",
            "acquisition": ACQUISITION_EXAMPLE,
            "metadata": {"crm_id": "HS-2231"},
            "livemode": False,
            "archived": False,
            "created_at": "2026-03-01T10:00:00Z",
            "updated_at": "2026-03-01T10:00:00Z",
        }
    )

    object: Literal["customer"] = "customer"
    id: str
    external_id: str | None
    email: str | None
    name: str | None
    country: str | None
    locale: str | None
    currency: str | None
    vat_id: str | None
    kind: str
    legal_name: str | None
    registration_number: str | None
    national_id: str | None = None
    address: AddressOut | None
    vat_check: VatCheckOut | None = Field(
        default=None, description="The VIES check of an EU VAT number; null without one."
    )
    tax_rate: Decimal | None
    test_clock: str | None
    acquisition_channel: str | None
    acquisition: dict[str, str]
    metadata: dict[str, Any]
    livemode: bool
    archived: bool
    created_at: datetime
    updated_at: datetime
