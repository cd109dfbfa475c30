"""The VAT decision: hand-written cases, then properties over every input."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recura import i18n
from recura.core.tax import (
    Buyer,
    BuyerKind,
    Category,
    Decision,
    Nature,
    RateKind,
    Seller,
    Supply,
    TaxError,
    VatIdStatus,
    decide,
)
from recura.core.vat_rates import EU_COUNTRIES, TABLE_START

RO = Seller("RO")
TODAY = date(2026, 12, 7)
BEFORE = date(2025, 7, 31)
CHANGE = date(2025, 8, 1)
VALID, UNCHECKED, INVALID = VatIdStatus.VALID, VatIdStatus.UNCHECKED, VatIdStatus.INVALID
COMPANY, PERSON = BuyerKind.COMPANY, BuyerKind.INDIVIDUAL


def _s(rate: str, country: str, *notes: str) -> Decision:
    return Decision(Category.STANDARD, Decimal(rate), country, notes=notes)


def _z(category: Category, code: str, key: str) -> Decision:
    return Decision(category, Decimal(0), None, code, key)


CASES = [
    # Domestic Romania: the rate of the supply date, business or consumer, either rate kind.
    ("domestic consumer", RO, Buyer("RO"), Supply(TODAY), _s("21", "RO")),
    ("domestic company", RO, Buyer("RO", COMPANY, VALID), Supply(TODAY), _s("21", "RO")),
    ("domestic, day before", RO, Buyer("RO"), Supply(BEFORE), _s("19", "RO")),
    ("domestic reduced", RO, Buyer("RO"), Supply(TODAY, RateKind.REDUCED), _s("11", "RO")),
    ("reduced, before", RO, Buyer("RO"), Supply(BEFORE, RateKind.REDUCED), _s("9", "RO")),
    ("lowest, before", RO, Buyer("RO"), Supply(BEFORE, RateKind.REDUCED_LOWER), _s("5", "RO")),
    ("lowest, after", RO, Buyer("RO"), Supply(CHANGE, RateKind.REDUCED_LOWER), _s("11", "RO")),
    ("country unknown", RO, Buyer(None), Supply(TODAY), _s("21", "RO")),
    # EU B2B with a number VIES confirmed: reverse charge.
    (
        "EU B2B valid",
        RO,
        Buyer("DE", COMPANY, VALID),
        Supply(TODAY),
        _z(Category.REVERSE_CHARGE, "VATEX-EU-AE", "tax.reverse_charge.ro"),
    ),
    (
        "EU B2B valid, other services",
        RO,
        Buyer("FR", COMPANY, VALID),
        Supply(TODAY, nature=Nature.SERVICES),
        _z(Category.REVERSE_CHARGE, "VATEX-EU-AE", "tax.reverse_charge.ro"),
    ),
    (
        "EU B2B valid, seller elsewhere",
        Seller("DE"),
        Buyer("RO", COMPANY, VALID),
        Supply(TODAY),
        _z(Category.REVERSE_CHARGE, "VATEX-EU-AE", "tax.reverse_charge"),
    ),
    (
        "EU B2B goods",
        RO,
        Buyer("DE", COMPANY, VALID),
        Supply(TODAY, nature=Nature.GOODS),
        _z(Category.INTRA_COMMUNITY, "VATEX-EU-IC", "tax.intra_eu_goods.ro"),
    ),
    # A number not confirmed: VAT charged, and the invoice says why.
    (
        "EU B2B VIES down",
        RO,
        Buyer("DE", COMPANY, UNCHECKED),
        Supply(TODAY),
        _s("21", "RO", "tax.note.vat_id_unchecked"),
    ),
    (
        "EU B2B VIES down, before",
        RO,
        Buyer("DE", COMPANY, UNCHECKED),
        Supply(BEFORE),
        _s("19", "RO", "tax.note.vat_id_unchecked"),
    ),
    (
        "EU B2B invalid",
        RO,
        Buyer("AT", COMPANY, INVALID),
        Supply(TODAY),
        _s("21", "RO", "tax.note.vat_id_invalid"),
    ),
    (
        "EU B2B VIES down, seller in OSS",
        Seller("RO", oss_registered=True),
        Buyer("DE", COMPANY, UNCHECKED),
        Supply(TODAY),
        _s("19", "DE", "tax.note.vat_id_unchecked", "tax.note.destination_services"),
    ),
    ("EU company without number", RO, Buyer("DE", COMPANY), Supply(TODAY), _s("21", "RO")),
    # EU B2C: the customer's rate in OSS or over the threshold, the seller's otherwise.
    ("EU B2C under threshold", RO, Buyer("HU"), Supply(TODAY), _s("21", "RO")),
    (
        "EU B2C in OSS",
        Seller("RO", oss_registered=True),
        Buyer("HU"),
        Supply(TODAY),
        _s("27", "HU", "tax.note.destination_services"),
    ),
    (
        "EU B2C over threshold",
        Seller("RO", over_threshold=True),
        Buyer("FI"),
        Supply(TODAY),
        _s("25.5", "FI", "tax.note.destination_services"),
    ),
    (
        "EU B2C over threshold, reduced",
        Seller("RO", over_threshold=True),
        Buyer("FI"),
        Supply(TODAY, RateKind.REDUCED),
        _s("13.5", "FI", "tax.note.destination_services"),
    ),
    (
        "EU B2C in OSS, no reduced rate",
        Seller("RO", oss_registered=True),
        Buyer("DK"),
        Supply(TODAY, RateKind.REDUCED),
        _s("25", "DK", "tax.note.destination_services"),
    ),
    (
        "EU B2C in OSS, Estonia before its change",
        Seller("RO", oss_registered=True),
        Buyer("EE"),
        Supply(date(2025, 6, 30)),
        _s("22", "EE", "tax.note.destination_services"),
    ),
    (
        "EU B2C goods in OSS",
        Seller("RO", oss_registered=True),
        Buyer("IT"),
        Supply(TODAY, nature=Nature.GOODS),
        _s("22", "IT", "tax.note.destination_goods"),
    ),
    (
        "EU B2C other services in OSS stay at home",
        Seller("RO", oss_registered=True),
        Buyer("IT"),
        Supply(TODAY, nature=Nature.SERVICES),
        _s("21", "RO"),
    ),
    # Outside the EU.
    (
        "non-EU B2B",
        RO,
        Buyer("US", COMPANY),
        Supply(TODAY),
        _z(Category.NOT_SUBJECT, "VATEX-EU-O", "tax.outside_eu_b2b.ro"),
    ),
    (
        "non-EU B2C electronic",
        RO,
        Buyer("CH"),
        Supply(TODAY),
        _z(Category.NOT_SUBJECT, "VATEX-EU-O", "tax.outside_eu_b2c.ro"),
    ),
    (
        "non-EU B2C other services",
        RO,
        Buyer("GB"),
        Supply(TODAY, nature=Nature.SERVICES),
        _s("21", "RO"),
    ),
    (
        "non-EU B2B other services",
        RO,
        Buyer("GB", COMPANY),
        Supply(TODAY, nature=Nature.SERVICES),
        _z(Category.NOT_SUBJECT, "VATEX-EU-O", "tax.outside_eu_b2b.ro"),
    ),
    (
        "export of goods",
        RO,
        Buyer("MD"),
        Supply(TODAY, nature=Nature.GOODS),
        _z(Category.EXPORT, "VATEX-EU-G", "tax.export_goods.ro"),
    ),
    # A seller under the small enterprises' scheme charges no VAT to anyone.
    (
        "small enterprise",
        Seller("RO", vat_registered=False),
        Buyer("RO"),
        Supply(TODAY),
        _z(Category.NOT_SUBJECT, "VATEX-EU-O", "tax.small_enterprise.ro"),
    ),
    (
        "small enterprise, EU company",
        Seller("RO", vat_registered=False),
        Buyer("DE", COMPANY, VALID),
        Supply(TODAY),
        _z(Category.NOT_SUBJECT, "VATEX-EU-O", "tax.small_enterprise.ro"),
    ),
    (
        "small enterprise elsewhere",
        Seller("bg", vat_registered=False),
        Buyer("BG"),
        Supply(TODAY),
        _z(Category.NOT_SUBJECT, "VATEX-EU-O", "tax.small_enterprise"),
    ),
    ("lower-case countries", Seller("ro"), Buyer("ro"), Supply(TODAY), _s("21", "RO")),
]


@pytest.mark.parametrize(
    ("seller", "buyer", "supply", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_cases(seller: Seller, buyer: Buyer, supply: Supply, expected: Decision) -> None:
    assert decide(seller, buyer, supply) == expected


def test_every_text_is_in_the_invoice_catalogs() -> None:
    for _name, seller, buyer, supply, _expected in CASES:
        decision = decide(seller, buyer, supply)
        for key in filter(None, (decision.exemption_key, *decision.notes)):
            for language in ("en", "ro"):
                assert i18n.text("invoices", key, language)
    assert i18n.text("invoices", "tax.reverse_charge.ro", "ro").startswith("Taxare inversă")
    assert "art. 310" in i18n.text("invoices", "tax.small_enterprise.ro", "ro")


def test_what_cannot_be_decided_is_refused() -> None:
    with pytest.raises(TaxError):
        decide(Seller("US"), Buyer("US"), Supply(TODAY))
    with pytest.raises(TaxError):
        decide(RO, Buyer("RO"), Supply(TABLE_START - timedelta(days=1)))
    with pytest.raises(TaxError):  # even where no rate would be charged
        decide(RO, Buyer("US", COMPANY), Supply(TABLE_START - timedelta(days=1)))


# --- properties -------------------------------------------------------------------------

EU = sorted(EU_COUNTRIES)
OTHERS = ["US", "CH", "GB", "NO", "MD", "JP", "XK"]

sellers = st.builds(
    Seller,
    country=st.sampled_from(EU),
    vat_registered=st.booleans(),
    oss_registered=st.booleans(),
    over_threshold=st.booleans(),
)
buyers = st.builds(
    Buyer,
    country=st.one_of(st.none(), st.sampled_from(EU + OTHERS)),
    kind=st.sampled_from(BuyerKind),
    vat_id=st.sampled_from(VatIdStatus),
)
supplies = st.builds(
    Supply,
    on=st.dates(min_value=TABLE_START, max_value=date(2030, 12, 31)),
    rate_kind=st.sampled_from(RateKind),
    nature=st.sampled_from(Nature),
)
common = settings(max_examples=400, deadline=None)
ZERO_RATED = {
    Category.REVERSE_CHARGE,
    Category.NOT_SUBJECT,
    Category.EXPORT,
    Category.EXEMPT,
    Category.INTRA_COMMUNITY,
}


@common
@given(sellers, buyers, supplies)
def test_every_input_gets_a_category_and_a_consistent_rate(
    seller: Seller, buyer: Buyer, supply: Supply
) -> None:
    decision = decide(seller, buyer, supply)
    assert decision.category in Category
    if decision.category in ZERO_RATED:
        assert decision.rate == 0
        assert decision.exemption_code
        assert decision.exemption_key
        assert decision.country is None
    else:
        assert decision.category is Category.STANDARD
        assert decision.rate > 0
        assert decision.exemption_code is None
        assert decision.exemption_key is None
        assert decision.country in EU_COUNTRIES


@common
@given(sellers, st.sampled_from(EU), st.sampled_from(BuyerKind), supplies)
def test_eu_business_with_a_valid_number_is_never_charged(
    seller: Seller, country: str, kind: BuyerKind, supply: Supply
) -> None:
    decision = decide(seller, Buyer(country, kind, VatIdStatus.VALID), supply)
    if country != seller.country:
        assert decision.rate == 0
        expected = {Category.REVERSE_CHARGE, Category.INTRA_COMMUNITY, Category.NOT_SUBJECT}
        assert decision.category in expected
        # Only a seller outside VAT altogether zero-rates it otherwise than by reverse charge.
        assert (decision.category is Category.NOT_SUBJECT) == (not seller.vat_registered)


@common
@given(sellers, st.sampled_from(EU), st.sampled_from(BuyerKind), supplies)
def test_an_unchecked_number_is_never_zero_rated(
    seller: Seller, country: str, kind: BuyerKind, supply: Supply
) -> None:
    decision = decide(seller, Buyer(country, kind, VatIdStatus.UNCHECKED), supply)
    if seller.vat_registered:
        assert decision.category is Category.STANDARD
        assert decision.rate > 0
        if country != seller.country:
            assert "tax.note.vat_id_unchecked" in decision.notes


@common
@given(sellers, buyers, st.sampled_from(RateKind), st.sampled_from(Nature))
def test_the_supply_date_picks_romanias_rate(
    seller: Seller, buyer: Buyer, rate_kind: RateKind, nature: Nature
) -> None:
    before = decide(seller, buyer, Supply(BEFORE, rate_kind, nature))
    after = decide(seller, buyer, Supply(CHANGE, rate_kind, nature))
    assert before.category == after.category
    if before.country == "RO":
        old = {RateKind.STANDARD: 19, RateKind.REDUCED: 9, RateKind.REDUCED_LOWER: 5}
        new = {RateKind.STANDARD: 21, RateKind.REDUCED: 11, RateKind.REDUCED_LOWER: 11}
        assert (before.rate, after.rate) == (old[rate_kind], new[rate_kind])
    elif before.country is not None:
        assert before.rate == after.rate  # no other state changed its rates that day


@common
@given(st.dates(min_value=TABLE_START, max_value=date(2030, 12, 31)))
def test_romanian_rate_is_the_one_in_force_on_the_date(on: date) -> None:
    decision = decide(RO, Buyer("RO"), Supply(on))
    assert decision.rate == (Decimal(21) if on >= CHANGE else Decimal(19))
