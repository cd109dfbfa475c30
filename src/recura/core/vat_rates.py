"""VAT rates of the 27 EU member states, by the date each took effect.

The rates are data: the table below, one row per change, read by a small parser. Adding a
change is adding a row; no code branches on a country or a date. A supply is taxed at the
rate in force on its date (the tax point), so history is kept, never overwritten.

Each row: country (ISO 3166-1 alpha-2; Greece is GR here, EL only in VIES), the first day
the row applies, the standard rate, then the reduced rates highest first ("-" when the
country has none). Rows of one country are in date order; a row applies until the next.
The table starts on 2021-07-01 (the EU e-commerce package and OSS): a rate for an earlier
supply is not known here and is refused rather than guessed.

Reduced rates: the country's "reduced rate(s)" as the European Commission lists them,
without super-reduced, parking or zero rates (which apply to narrow categories a
subscription service does not sell).

Sources and certainty (rates as of 2026-12-07):
- RO: 19 % and 9/5 % until 2025-07-31; 21 % and a single 11 % from 2025-08-01
  (Law 141/2025). The 9 % transitional rate for housing is left out (not a service).
- EE: 20 -> 22 % on 2024-01-01, 22 -> 24 % on 2025-07-01. Reduced 9 %; 13 % added for
  accommodation on 2025-01-01. Estonia's 5 % for press (2022-2024) is left out: not certain.
- FI: 24 -> 25.5 % on 2024-09-01; reduced 14 -> 13.5 % on 2026-01-01 (food, restaurants), 10 %
  kept for press.
- SK: 20 -> 23 % on 2025-01-01; reduced 10/5 -> 19/5 %.
- CZ: reduced 15/10 -> a single 12 % on 2024-01-01.
- LU: every rate one point lower for 2023 (16 %, 7 %), back on 2024-01-01.
- Long-standing elsewhere. Announced but not certain enough to encode, so the long-standing
  rate is kept: SE's food rate 12 -> 6 % from 2026-04-01 (temporary; the 12 % reduced rate
  still applies to other supplies), changes to which supplies a reduced rate covers (BE, DE,
  IE, NL in 2026) that leave the rates themselves unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

__all__ = ["EU_COUNTRIES", "TABLE_START", "CountryRates", "UnknownRate", "rates_on"]

TABLE_START = date(2021, 7, 1)

_TABLE = """
AT 2021-07-01 20    13 10
BE 2021-07-01 21    12 6
BG 2021-07-01 20    9
CY 2021-07-01 19    9 5
CZ 2021-07-01 21    15 10
CZ 2024-01-01 21    12
DE 2021-07-01 19    7
DK 2021-07-01 25    -
EE 2021-07-01 20    9
EE 2024-01-01 22    9
EE 2025-01-01 22    13 9
EE 2025-07-01 24    13 9
ES 2021-07-01 21    10
FI 2021-07-01 24    14 10
FI 2024-09-01 25.5  14 10
FI 2026-01-01 25.5  13.5 10
FR 2021-07-01 20    10 5.5
GR 2021-07-01 24    13 6
HR 2021-07-01 25    13 5
HU 2021-07-01 27    18 5
IE 2021-07-01 23    13.5 9
IT 2021-07-01 22    10 5
LT 2021-07-01 21    9 5
LU 2021-07-01 17    8
LU 2023-01-01 16    7
LU 2024-01-01 17    8
LV 2021-07-01 21    12 5
MT 2021-07-01 18    7 5
NL 2021-07-01 21    9
PL 2021-07-01 23    8 5
PT 2021-07-01 23    13 6
RO 2021-07-01 19    9 5
RO 2025-08-01 21    11
SE 2021-07-01 25    12 6
SI 2021-07-01 22    9.5 5
SK 2021-07-01 20    10 5
SK 2025-01-01 23    19 5
"""


class UnknownRate(LookupError):
    """No rate is known for that country on that date (not an EU state, or before the table)."""


@dataclass(frozen=True, slots=True)
class CountryRates:
    """One country's rates from `valid_from` until its next row; percentages."""

    country: str
    valid_from: date
    standard: Decimal
    reduced: tuple[Decimal, ...]


def _parse(text: str) -> dict[str, tuple[CountryRates, ...]]:
    rows: dict[str, list[CountryRates]] = {}
    for line in text.strip().splitlines():
        country, since, standard, *reduced = line.split()
        rates = tuple(Decimal(r) for r in reduced if r != "-")
        row = CountryRates(country, date.fromisoformat(since), Decimal(standard), rates)
        previous = rows.setdefault(country, [])
        if previous and previous[-1].valid_from >= row.valid_from:
            raise ValueError(f"{country}: rows out of date order at {since}")
        if list(rates) != sorted(rates, reverse=True):
            raise ValueError(f"{country} {since}: reduced rates must be highest first")
        previous.append(row)
    return {country: tuple(history) for country, history in rows.items()}


@lru_cache(maxsize=1)
def _rates() -> dict[str, tuple[CountryRates, ...]]:
    return _parse(_TABLE)


EU_COUNTRIES: frozenset[str] = frozenset(_rates())


def rates_on(country: str, on: date) -> CountryRates:
    """The rates in force in `country` on `on`; raises UnknownRate when none is known."""
    history = _rates().get(country.upper())
    if history is None:
        raise UnknownRate(f"no EU VAT rates for country {country!r}")
    found = [row for row in history if row.valid_from <= on]
    if not found:
        raise UnknownRate(f"no VAT rate for {country} before {history[0].valid_from}")
    return found[-1]
