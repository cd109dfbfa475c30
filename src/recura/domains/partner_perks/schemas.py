from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from recura.domains.common.fields import Name, Schema, example, example_in, one_line

MAX_CODES = 10_000
DEFAULT_LOW_STOCK = 10


class PerkKind(StrEnum):
    VOUCHER = "voucher"
    LINK = "link"


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
# What the subscriber reads, in the languages subscribers read (en, ro): at least one.
Descriptions = Annotated[
    dict[Literal["en", "ro"], Text],
    Field(
        min_length=1,
        description="What the subscriber reads, per language (`en`, `ro`); a language "
        "without its own text shows the English one, or else the other.",
    ),
]
UrlTemplate = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1900),
    Field(
        description="The partner's address with `{token}` where the signed token goes, "
        "e.g. `https://partner.example/redeem?t={token}`."
    ),
]
Threshold = Annotated[int, Field(ge=0, le=1_000_000, strict=True)]
OwnerIds = Annotated[list[Annotated[str, StringConstraints(max_length=40)]], Field(max_length=100)]
Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(one_line),
]


class PartnerPerkCreate(Schema):
    model_config = example_in(
        {
            "name": "3 months of Spotify Premium",
            "partner_name": "Spotify",
            "description": {
                "en": "Three months of Spotify Premium, on us.",
                "ro": "Trei luni de Spotify Premium, din partea noastră.",
            },
            "kind": "voucher",
            "low_stock_threshold": 25,
            "plans": ["plan_01JD3Q4W5E6R7T8Y9U0I1O2P3A"],
        },
        {
            "name": "20% off at Libris",
            "partner_name": "Libris",
            "description": {"en": "20% off every book.", "ro": "20% reducere la orice carte."},
            "kind": "link",
            "url_template": "https://libris.example/partner?token={token}",
            "add_ons": ["addon_01JD3Q4W5E6R7T8Y9U0I1O2P3A"],
        },
    )

    name: Name
    partner_name: Name
    description: Descriptions
    kind: PerkKind
    url_template: UrlTemplate | None = Field(
        default=None, description="Required for a `link` perk; a `voucher` perk has none."
    )
    low_stock_threshold: Threshold | None = Field(
        default=None,
        description="A voucher pool with this many free codes or fewer is low: "
        "`partner_perk.pool_low` is sent, and the account emailed, once each time it gets "
        f"there. Default {DEFAULT_LOW_STOCK} for a voucher perk; null: never warned.",
    )
    plans: OwnerIds = Field(default_factory=list, description="Plans whose subscribers get it.")
    add_ons: OwnerIds = Field(default_factory=list, description="Add-ons that grant it.")


class PartnerPerkUpdate(Schema):
    model_config = example_in({"low_stock_threshold": 50, "plans": []})

    name: Name | None = None
    partner_name: Name | None = None
    description: Descriptions | None = None
    url_template: UrlTemplate | None = None
    low_stock_threshold: Threshold | None = None
    plans: OwnerIds | None = None
    add_ons: OwnerIds | None = None


class VoucherCounts(BaseModel):
    model_config = example({"available": 480, "assigned": 20, "waiting": 0})

    available: int = Field(description="Codes not given to anyone yet.")
    assigned: int = Field(description="Codes given to subscribers.")
    waiting: int = Field(
        description="Subscribers granted the perk who have no code yet (the pool ran "
        "dry); they get one as codes are uploaded."
    )


PERK_EXAMPLE = {
    "object": "partner_perk",
    "id": "perk_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "name": "3 months of Spotify Premium",
    "partner_name": "Spotify",
    "description": {
        "en": "Three months of Spotify Premium, on us.",
        "ro": "Trei luni de Spotify Premium, din partea noastră.",
    },
    "kind": "voucher",
    "url_template": None,
    "low_stock_threshold": 25,
    "pool_low": False,
    "plans": ["plan_01JD3Q4W5E6R7T8Y9U0I1O2P3A"],
    "add_ons": [],
    "vouchers": {"available": 480, "assigned": 20, "waiting": 0},
    "livemode": False,
    "archived": False,
    "created_at": "2026-01-15T09:30:00Z",
}


class PartnerPerkOut(BaseModel):
    model_config = example(PERK_EXAMPLE)

    object: Literal["partner_perk"] = "partner_perk"
    id: str
    name: str
    partner_name: str
    description: dict[str, str]
    kind: PerkKind
    url_template: str | None
    low_stock_threshold: int | None
    pool_low: bool = Field(description="The free codes are at or below the threshold.")
    plans: list[str]
    add_ons: list[str]
    vouchers: VoucherCounts | None = Field(description="A voucher perk's pool; null for links.")
    livemode: bool
    archived: bool
    created_at: datetime


class PartnerPerkWithSecret(PartnerPerkOut):
    """A link perk as created or rotated: the only time its signing secret is shown."""

    model_config = example(
        {
            **PERK_EXAMPLE,
            "kind": "link",
            "url_template": "https://libris.example/partner?token={token}",
            "low_stock_threshold": None,
            "vouchers": None,
            "secret": "pks_q5Xx0cS1b3m8tZ1mYl3Xb1b9o1Yk0t6oJ2u8bqQm1gA",
        }
    )

    secret: str | None = Field(
        description="Signs the tokens of a `link` perk's links (HMAC-SHA256). Shown only "
        "when the perk is created and when the secret is rotated: pass it to the partner, "
        "who verifies tokens with it (docs/partner-perks.md)."
    )


class VoucherUpload(Schema):
    model_config = example_in({"codes": ["SPOT-7KQ2-9XHF", "SPOT-3MZD-4PLA"]})

    codes: list[Code] = Field(
        min_length=1,
        max_length=MAX_CODES,
        description=f"Up to {MAX_CODES:,} codes; one already in the pool (or twice in the "
        "list) is skipped and counted.",
    )


class VoucherUploadOut(BaseModel):
    model_config = example(
        {
            "object": "voucher_upload",
            "perk": "perk_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "added": 498,
            "skipped": 2,
            "assigned": 3,
            "available": 495,
        }
    )

    object: Literal["voucher_upload"] = "voucher_upload"
    perk: str
    added: int = Field(description="New codes put in the pool.")
    skipped: int = Field(description="Codes already in the pool, or repeated in the list.")
    assigned: int = Field(description="New codes given at once to subscribers who waited.")
    available: int = Field(description="Free codes now.")
