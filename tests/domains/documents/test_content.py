"""What the PDF says of invoices the API tests do not reach: prices agreed VAT included are
printed without VAT, a discount is shown, and a person's CNP is printed when known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from recura.db.models import Account, Customer, Invoice, InvoiceLine
from recura.domains.documents import content

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _account() -> Account:
    return Account(
        id="acct_1",
        legal_name="Norditech Software SRL",
        country="RO",
        default_currency="RON",
        timezone="Europe/Bucharest",
        vat_id="RO18547290",
    )


def _invoice(**over: object) -> Invoice:
    values: dict[str, object] = {
        "account_id": "acct_1",
        "id": "inv_1",
        "customer_id": "cus_1",
        "status": "open",
        "currency": "RON",
        "series": "NDT",
        "number": "NDT-000007",
        "period_start": T0,
        "period_end": T0 + timedelta(days=31),
        "tax_inclusive": True,
        "subtotal": 24200,
        "discount_total": 0,
        "tax_total": 4200,
        "total": 24200,
        "credit_applied": 0,
        "amount_due": 24200,
        "amount_paid": 0,
        "tax_lines": [{"rate": "21", "net": 20000, "tax": 4200}],
        "discounts": [],
        "collection_method": "charge_automatically",
        "finalized_at": T0,
        "created_at": T0,
    }
    return Invoice(**{**values, **over})


def _line(amount: int, quantity: int, unit: int) -> InvoiceLine:
    return InvoiceLine(
        account_id="acct_1",
        invoice_id="inv_1",
        id="il_1",
        position=0,
        kind="plan",
        description="Seats",
        quantity=Decimal(quantity),
        unit_amount=Decimal(unit),
        amount=amount,
        discount_amount=0,
        tax_rate=Decimal(21),
        tax_category="S",
        tax_notes=[],
        proration=False,
    )


def test_prices_with_vat_included_are_printed_without_it() -> None:
    person = Customer(account_id="acct_1", id="cus_1", kind="individual", name="Ion Ionescu")
    person.national_id = "1800101400019"  # type: ignore[attr-defined]
    document = content.of_invoice(
        _account(), person, _invoice(), [_line(24200, 2, 12100)], None, "ro"
    )
    (line,) = document.lines
    assert (line.quantity, line.unit_price, line.value, line.rate) == (
        "2",
        "100,00",
        "200,00",
        "21%",
    )
    assert document.vat_rows == [("21%", "200,00\xa0RON", "42,00\xa0RON")]
    assert "Prețurile au fost convenite cu TVA inclusă" in document.mentions[-1]
    assert document.buyer.national_id == "1800101400019"


def test_a_discount_is_shown_before_the_totals() -> None:
    customer = Customer(account_id="acct_1", id="cus_1", kind="company", legal_name="X SRL")
    invoice = _invoice(
        tax_inclusive=False,
        discounts=[{"description": "WELCOME20 (20% off)", "amount": 4000}],
        tax_lines=[{"rate": "21", "net": 16000, "tax": 3360}],
        tax_total=3360,
        total=19360,
    )
    document = content.of_invoice(
        _account(), customer, invoice, [_line(20000, 1, 20000)], None, "en"
    )
    labels = [(t.label, t.amount) for t in document.totals]
    assert labels[:2] == [
        ("Discount: WELCOME20 (20% off)", "\u2212RON\xa040.00"),
        ("Total excl. VAT", "RON\xa0160.00"),
    ]
    assert labels[-1] == ("Total incl. VAT", "RON\xa0193.60")
    # Company buyers have no CNP line.
    assert document.buyer.national_id is None
