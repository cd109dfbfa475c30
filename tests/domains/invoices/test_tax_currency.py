"""Which currency an invoice's VAT is also stated in: the seller's country's on the day."""

from __future__ import annotations

from datetime import date

from recura.domains.invoices.tax_currency import national_currency, tax_currency

DAY = date(2026, 12, 7)


def test_a_romanian_seller_states_vat_in_lei_on_a_euro_invoice() -> None:
    assert tax_currency("RO", "EUR", DAY) == "RON"
    assert tax_currency("ro", "USD", DAY) == "RON"


def test_an_invoice_in_the_national_currency_states_nothing_more() -> None:
    assert tax_currency("RO", "RON", DAY) is None
    assert tax_currency("DE", "EUR", DAY) is None


def test_the_currency_follows_the_date() -> None:
    # Bulgaria adopted the euro on 2026-01-01.
    assert national_currency("BG", date(2025, 12, 31)) == "BGN"
    assert national_currency("BG", date(2026, 1, 1)) == "EUR"
    assert tax_currency("BG", "EUR", date(2025, 6, 1)) == "BGN"
    assert tax_currency("BG", "EUR", date(2026, 6, 1)) is None
