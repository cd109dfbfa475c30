"""The spend CSV read without a database: columns in any order, separators and decimal
commas, and every bad line named by number."""

from __future__ import annotations

from datetime import date

import pytest

from recura.domains.acquisition.repository import SpendRow
from recura.domains.acquisition.spend_csv import SpendImportError, parse


def problems(text: str) -> list[str]:
    with pytest.raises(SpendImportError) as caught:
        parse(text)
    return [str(p) for p in caught.value.problems]


def test_columns_in_any_order_and_money_in_the_currencys_units() -> None:
    text = (
        'Channel,Amount,Currency,Month,Note\nNewsletter,"1,5",ron,2026-02,\n'.replace(
            '"1,5"', "1.5"
        )
        + "newsletter,1200,JPY,2026-02-01,yen\n"
        + "newsletter,0.125,BHD,2026-03,\n"
        + ",,,,\n"
    )
    assert parse(text) == [
        SpendRow(date(2026, 2, 1), "newsletter", "RON", 150, None),
        SpendRow(date(2026, 2, 1), "newsletter", "JPY", 1200, "yen"),
        SpendRow(date(2026, 3, 1), "newsletter", "BHD", 125, None),
    ]
    spreadsheet = "month;channel;currency;amount\n2026-02;ads;EUR;1 234,56\n"
    assert parse(spreadsheet)[0].amount == 123456


def test_every_bad_line_is_named() -> None:
    text = (
        "month,channel,currency,amount,note\n"
        "2026-02-15,a,RON,1,\n"
        "1969-12,a,RON,1,\n"
        "2026-02,a,RON,NaN,\n"
        "2026-02,a,RON,1e20,\n"
        "2026-02,a,RON,1,too,many\n"
        f"2026-03,a,RON,1,{'n' * 501}\n"
    )
    assert problems(text) == [
        "line 2, month: '2026-02-15' is not a month (YYYY-MM, or YYYY-MM-01)",
        "line 3, month: '1969-12' is not a month (YYYY-MM, or YYYY-MM-01)",
        "line 4, amount: 'NaN' is not an amount",
        "line 5, amount: '1e20' is too large",
        "line 6: has 6 fields, the header 5",
        "line 7, note: is longer than 500 characters",
    ]
    assert problems("month,channel,currency,amount\n2026-01,a\x00,RON,1\n") == [
        "line 1: the file contains NUL characters"
    ]
    assert problems("month,month,channel,currency,amount\n") == [
        "line 1: the header must name the columns month, channel, currency, amount, note "
        "(note is optional)"
    ]
