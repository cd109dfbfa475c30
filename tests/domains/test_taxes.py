"""The tax decision on what the account and customer rows say (`invoices.taxes`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from recura.core.tax import Category, Decision, RateKind, VatIdStatus
from recura.db.models import Account, Customer
from recura.db.records import BilledCustomer
from recura.domains.invoices import taxes
from tests.conftest import T0

TODAY = T0.date()


def seller(country: str = "RO", tax_rate: str = "0", **flags: bool) -> Account:
    settings = {"vat_registered": True, "oss_registered": False, "eu_b2c_over_threshold": False}
    return Account(country=country, tax_rate=Decimal(tax_rate), **{**settings, **flags})


def buyer(
    country: str | None = None,
    kind: str = "individual",
    vat_id: str | None = None,
    *,
    confirmed: bool = False,
    tax_rate: str | None = None,
) -> BilledCustomer:
    own = None if tax_rate is None else Decimal(tax_rate)
    return BilledCustomer(own, None, country, kind, vat_id, T0 if confirmed else None)


def s(rate: str, country: str, *notes: str) -> Decision:
    return Decision(Category.STANDARD, Decimal(rate), country, notes=notes)


GERMAN_COMPANY = {"country": "DE", "kind": "company", "vat_id": "DE136695976"}


@pytest.mark.parametrize(
    ("account", "customer", "on", "expected"),
    [
        (seller(), buyer(), TODAY, s("21", "RO")),
        (seller(), buyer("RO"), date(2025, 7, 31), s("19", "RO")),
        (
            seller(),
            buyer(**GERMAN_COMPANY, confirmed=True),
            TODAY,
            Decision(
                Category.REVERSE_CHARGE, Decimal(0), None, "VATEX-EU-AE", "tax.reverse_charge.ro"
            ),
        ),
        (seller(), buyer(**GERMAN_COMPANY), TODAY, s("21", "RO", "tax.note.vat_id_unchecked")),
        (
            seller(oss_registered=True),
            buyer("AT"),
            TODAY,
            s("20", "AT", "tax.note.destination_services"),
        ),
        # A customer's own rate is the operator's choice, for a registered seller.
        (seller(), buyer("RO", tax_rate="11"), TODAY, s("11", "RO")),
        (
            seller(),
            buyer("RO", tax_rate="0"),
            TODAY,
            Decision(Category.EXEMPT, Decimal(0), None, None, "tax.exempt"),
        ),
        # Not registered: no VAT whatever the customer's own rate says.
        (
            seller(vat_registered=False, tax_rate="21"),
            buyer("RO", tax_rate="11"),
            TODAY,
            Decision(
                Category.NOT_SUBJECT, Decimal(0), None, "VATEX-EU-O", "tax.small_enterprise.ro"
            ),
        ),
        # Outside the EU, or before the EU table: the configured rates, as before.
        (seller("US", tax_rate="7"), buyer("US"), TODAY, s("7", "US")),
        (seller("US", tax_rate="7"), buyer("US", tax_rate="5"), TODAY, s("5", "US")),
        (
            seller("US"),
            buyer("US"),
            TODAY,
            Decision(Category.NOT_SUBJECT, Decimal(0), None, "VATEX-EU-O", "tax.not_charged"),
        ),
        (seller(tax_rate="20"), buyer(), date(2016, 12, 31), s("20", "RO")),
    ],
)
def test_decision(account: Account, customer: BilledCustomer, on: date, expected: Decision) -> None:
    assert taxes.decision(account, customer, on) == expected


@pytest.mark.parametrize(
    ("customer", "kind", "expected"),
    [
        # The customer's rate replaces the standard rate only.
        (buyer("RO", tax_rate="19"), RateKind.STANDARD, s("19", "RO")),
        (buyer("RO", tax_rate="21"), RateKind.REDUCED, s("11", "RO")),
        # Exempt is exempt whatever the line.
        (
            buyer("RO", tax_rate="0"),
            RateKind.REDUCED,
            Decision(Category.EXEMPT, Decimal(0), None, None, "tax.exempt"),
        ),
        # What the law does not tax here stays untaxed: a reverse charge, an export.
        (
            buyer(**GERMAN_COMPANY, confirmed=True, tax_rate="21"),
            RateKind.STANDARD,
            Decision(
                Category.REVERSE_CHARGE, Decimal(0), None, "VATEX-EU-AE", "tax.reverse_charge.ro"
            ),
        ),
        (
            buyer("US", tax_rate="21"),
            RateKind.STANDARD,
            taxes.decision(seller(), buyer("US"), TODAY),
        ),
    ],
)
def test_a_customers_own_rate_replaces_only_the_standard_rate(
    customer: BilledCustomer, kind: RateKind, expected: Decision
) -> None:
    assert taxes.decision(seller(), customer, TODAY, kind) == expected


def test_the_customer_model_and_the_batch_record_decide_alike() -> None:
    model = Customer(country="DE", kind="company", vat_id="DE136695976", tax_rate=None)
    model.vat_id_validated_at = None
    record = buyer(**GERMAN_COMPANY)
    assert taxes.buyer_of(model) == taxes.buyer_of(record)
    assert taxes.decision(seller(), model, TODAY) == taxes.decision(seller(), record, TODAY)


def test_a_visitor_not_known_yet_pays_the_sellers_rate() -> None:
    assert taxes.decision(seller(), taxes.ANYONE, TODAY).rate == 21
    assert taxes.decision(seller(vat_registered=False), taxes.ANYONE, TODAY).rate == 0


@pytest.mark.parametrize(
    ("check", "validated", "status"),
    [
        ("validated", True, VatIdStatus.VALID),
        ("not_checked", False, VatIdStatus.UNCHECKED),
        ("pending", False, VatIdStatus.UNCHECKED),
        ("invalid", False, VatIdStatus.INVALID),
        (None, False, VatIdStatus.UNCHECKED),
    ],
)
def test_the_vies_check_decides_what_the_number_counts_for(
    check: str | None, validated: bool, status: VatIdStatus
) -> None:
    found = BilledCustomer(
        None, None, "DE", "company", "DE136695976", T0 if validated else None, check
    )
    assert taxes.buyer_of(found).vat_id is status


def test_an_invalid_number_is_charged_vat_and_said_so() -> None:
    found = BilledCustomer(None, None, "DE", "company", "DE136695976", None, "invalid")
    assert taxes.decision(seller(), found, TODAY) == s("21", "RO", "tax.note.vat_id_invalid")
