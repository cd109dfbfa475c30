"""A line's supply nature reaches its VAT decision: each item and charge carries its plan's or
add-on's nature, each line says it, and the decision of that class is the one it is taxed
by. For a seller in Romania in the OSS scheme, electronic services, other services and goods
come out differently for a consumer and for a company in Germany."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from recura.core.invoice_lines import Item, Metered, change_lines, fee_lines, usage_lines
from recura.core.invoicing import LineInput, TaxClass
from recura.core.periods import Period
from recura.core.pricing import PriceSpec
from recura.core.tax import (
    Buyer,
    BuyerKind,
    Category,
    Decision,
    Nature,
    RateKind,
    Seller,
    Supply,
    VatIdStatus,
    decide,
)

APRIL = Period(datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))
MID = datetime(2026, 4, 16, tzinfo=UTC)
SELLER = Seller("RO", oss_registered=True)
CONSUMER = Buyer("DE")
COMPANY = Buyer("DE", BuyerKind.COMPANY, VatIdStatus.VALID)


def _item(key: str, amount: int, nature: Nature) -> Item:
    spec = PriceSpec("flat", "RON", amount=amount)
    return Item(key, key, spec, Decimal(1), "add_on", RateKind.STANDARD, nature)


APP = _item("app", 3000, Nature.ELECTRONIC)
COACHING = _item("coaching", 2000, Nature.SERVICES)
BOX = _item("box", 1000, Nature.GOODS)


def _decisions(buyer: Buyer) -> dict[TaxClass, Decision]:
    on = date(2026, 4, 1)
    return {
        (kind, nature): decide(SELLER, buyer, Supply(on, kind, nature))
        for kind in RateKind
        for nature in Nature
    }


def _taxed(lines: list[LineInput], found: dict[TaxClass, Decision]) -> list[tuple]:
    """Each line's nature, and the category, rate and country of its class's decision."""
    out = []
    for line in lines:
        decided = found[line.tax_class]
        assert line.tax_rate == decided.rate
        out.append((line.description, line.nature, decided.category, line.tax_rate))
    return out


def _rates(found: dict[TaxClass, Decision]) -> dict[TaxClass, Decimal]:
    return {key: decided.rate for key, decided in found.items()}


def test_a_consumer_in_another_member_state() -> None:
    found = _decisions(CONSUMER)
    lines = fee_lines((APP, COACHING, BOX), APRIL, APRIL, _rates(found))
    assert _taxed(lines, found) == [
        # Electronic services and goods sold at a distance: Germany's rate (OSS) ...
        ("app", Nature.ELECTRONIC, Category.STANDARD, Decimal(19)),
        # ... other services where the seller is (Directive art. 45).
        ("coaching", Nature.SERVICES, Category.STANDARD, Decimal(21)),
        ("box", Nature.GOODS, Category.STANDARD, Decimal(19)),
    ]
    countries = [found[line.tax_class].country for line in lines]
    assert countries == ["DE", "RO", "DE"]
    notes = [found[line.tax_class].notes for line in lines]
    assert notes == [("tax.note.destination_services",), (), ("tax.note.destination_goods",)]


def test_a_company_with_a_valid_vat_number_in_another_member_state() -> None:
    found = _decisions(COMPANY)
    lines = fee_lines((APP, COACHING, BOX), APRIL, APRIL, _rates(found))
    assert _taxed(lines, found) == [
        ("app", Nature.ELECTRONIC, Category.REVERSE_CHARGE, Decimal(0)),
        ("coaching", Nature.SERVICES, Category.REVERSE_CHARGE, Decimal(0)),
        # Goods: an intra-community supply, exempt in Romania.
        ("box", Nature.GOODS, Category.INTRA_COMMUNITY, Decimal(0)),
    ]


def test_a_change_of_nature_alone_is_prorated_under_each_decision() -> None:
    found = _decisions(CONSUMER)
    was = replace(BOX, nature=Nature.ELECTRONIC)
    lines = change_lines((was,), (BOX,), APRIL, MID, _rates(found))
    assert [(line.amount, line.nature) for line in lines] == [
        (-500, Nature.ELECTRONIC),
        (500, Nature.GOODS),
    ]
    notes = [found[line.tax_class].notes for line in lines]
    assert notes == [("tax.note.destination_services",), ("tax.note.destination_goods",)]


def test_usage_carries_its_plans_nature() -> None:
    found = _decisions(CONSUMER)
    spec = PriceSpec("per_unit", "RON", unit_amount=Decimal(100))
    used = (Metered("Sessions", spec, Decimal(3), RateKind.STANDARD, Nature.SERVICES),)
    (line,) = usage_lines(used, APRIL, _rates(found))
    assert (line.amount, line.nature, line.tax_rate) == (300, Nature.SERVICES, Decimal(21))
