"""The dated EU VAT rate table."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from recura.core import vat_rates
from recura.core.vat_rates import EU_COUNTRIES, TABLE_START, UnknownRate, rates_on

# Every member state's standard rate on 2026-12-07, written out by hand: a change to the
# table that moves one of them must change this too.
STANDARD_ON_2026_12_07 = {
    "AT": "20",
    "BE": "21",
    "BG": "20",
    "CY": "19",
    "CZ": "21",
    "DE": "19",
    "DK": "25",
    "EE": "24",
    "ES": "21",
    "FI": "25.5",
    "FR": "20",
    "GR": "24",
    "HR": "25",
    "HU": "27",
    "IE": "23",
    "IT": "22",
    "LT": "21",
    "LU": "17",
    "LV": "21",
    "MT": "18",
    "NL": "21",
    "PL": "23",
    "PT": "23",
    "RO": "21",
    "SE": "25",
    "SI": "22",
    "SK": "23",
}


def test_every_member_state_standard_rate_today() -> None:
    today = date(2026, 12, 7)
    assert len(EU_COUNTRIES) == 27
    found = {country: rates_on(country, today).standard for country in EU_COUNTRIES}
    assert found == {country: Decimal(rate) for country, rate in STANDARD_ON_2026_12_07.items()}


@pytest.mark.parametrize(
    ("country", "day", "standard", "reduced"),
    [
        ("RO", date(2025, 7, 31), "19", ("9", "5")),
        ("RO", date(2025, 8, 1), "21", ("11",)),
        ("EE", date(2025, 6, 30), "22", ("13", "9")),
        ("EE", date(2025, 7, 1), "24", ("13", "9")),
        ("EE", date(2023, 12, 31), "20", ("9",)),
        ("FI", date(2024, 8, 31), "24", ("14", "10")),
        ("FI", date(2024, 9, 1), "25.5", ("14", "10")),
        ("FI", date(2026, 1, 1), "25.5", ("13.5", "10")),
        ("SK", date(2024, 12, 31), "20", ("10", "5")),
        ("SK", date(2025, 1, 1), "23", ("19", "5")),
        ("CZ", date(2024, 1, 1), "21", ("12",)),
        ("LU", date(2023, 6, 1), "16", ("7",)),
        ("LU", date(2024, 1, 1), "17", ("8",)),
        ("DK", date(2026, 12, 7), "25", ()),
        ("ro", date(2026, 12, 7), "21", ("11",)),
    ],
)
def test_rates_change_on_their_dates(
    country: str, day: date, standard: str, reduced: tuple[str, ...]
) -> None:
    found = rates_on(country, day)
    assert found.standard == Decimal(standard)
    assert found.reduced == tuple(Decimal(r) for r in reduced)


def test_unknown_country_and_dates_before_the_table_are_refused() -> None:
    with pytest.raises(UnknownRate):
        rates_on("US", date(2026, 1, 1))
    with pytest.raises(UnknownRate):
        rates_on("EL", date(2026, 1, 1))  # VIES' code; the table uses ISO's GR
    with pytest.raises(UnknownRate):
        rates_on("RO", TABLE_START - timedelta(days=1))
    assert rates_on("RO", TABLE_START).standard == Decimal(19)


def test_the_parser_refuses_rows_out_of_order() -> None:
    with pytest.raises(ValueError, match="date order"):
        vat_rates._parse("RO 2025-08-01 21 11\nRO 2021-07-01 19 9 5")
    with pytest.raises(ValueError, match="highest first"):
        vat_rates._parse("RO 2025-08-01 21 5 9")
