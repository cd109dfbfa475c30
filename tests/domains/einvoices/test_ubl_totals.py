"""The e-invoice's amounts are the invoice's to the cent, whatever its lines, discounts,
rates and pricing (with or without VAT): the EN 16931 sums (BR-CO-10, 13, 14, 15, BR-S-08)
hold on the stored amounts. No database: the rows are built in memory from core's
calculation, as issuing stores them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from recura.core.invoicing import DiscountInput, InvoiceInput, LineInput, build_invoice
from recura.core.tax import Category, Decision
from recura.db.models import Account, Customer, Invoice, InvoiceLine
from recura.domains.einvoices import ubl

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
DECISIONS = [
    Decision(Category.STANDARD, Decimal(21), "RO"),
    Decision(Category.STANDARD, Decimal(11), "RO"),
    Decision(Category.REVERSE_CHARGE, Decimal(0), None, "VATEX-EU-AE", "tax.reverse_charge.ro"),
    Decision(Category.NOT_SUBJECT, Decimal(0), None, "VATEX-EU-O", "tax.outside_eu_b2b.ro"),
]

lines = st.lists(
    st.builds(
        lambda amount, decision, quantity: LineInput(
            "Line", amount, quantity=quantity, tax_rate=decision.rate, tax=decision
        ),
        st.integers(min_value=-20_000, max_value=500_000),
        st.sampled_from(DECISIONS),
        st.sampled_from([Decimal(1), Decimal(3), Decimal("0.5"), Decimal(7)]),
    ),
    min_size=1,
    max_size=6,
)
discounts = st.lists(
    st.one_of(
        st.builds(
            lambda p: DiscountInput("Coupon", percent_off=Decimal(p)),
            st.integers(min_value=1, max_value=100),
        ),
        st.builds(
            lambda a: DiscountInput("Coupon", amount_off=a),
            st.integers(min_value=1, max_value=9999),
        ),
    ),
    max_size=2,
)


def _rows(inputs: InvoiceInput) -> tuple[Invoice, list[InvoiceLine]]:
    calc = build_invoice(inputs)
    invoice = Invoice(
        id="inv_1",
        account_id="acct_1",
        number="T-000001",
        currency=calc.currency,
        tax_inclusive=calc.tax_inclusive,
        subtotal=calc.subtotal,
        discount_total=calc.discount_total,
        tax_total=calc.tax_total,
        total=calc.total,
        credit_applied=calc.credit_applied,
        amount_due=calc.amount_due,
        tax_lines=[
            {"rate": str(t.rate), "net": t.taxable_amount, "tax": t.tax_amount}
            for t in calc.tax_lines
        ],
        discounts=[{"description": d.description, "amount": d.amount} for d in calc.discounts],
        collection_method="send_invoice",
        due_at=NOW + timedelta(days=14),
        finalized_at=NOW,
        period_start=None,
        period_end=None,
        payment_reference=None,
        tax_currency=None,
        tax_total_in_tax_currency=None,
    )
    rows = [
        InvoiceLine(
            description=line.description,
            quantity=line.quantity,
            amount=line.amount,
            discount_amount=line.discount_amount,
            tax_rate=line.tax_rate,
            tax_category=line.tax.category.value if line.tax else None,
            tax_exemption_code=line.tax.exemption_code if line.tax else None,
            tax_exemption_key=line.tax.exemption_key if line.tax else None,
            tax_notes=[],
            period_start=None,
            period_end=None,
        )
        for line in calc.lines
    ]
    return invoice, rows


def _parties() -> tuple[Account, Customer]:
    address = {"line1": "Str. A 1", "city": "Cluj-Napoca", "county": "RO-CJ", "country": "RO"}
    account = Account(
        legal_name="Seller SRL",
        country="RO",
        timezone="Europe/Bucharest",
        address=address,
        vat_id="RO18547290",
        registration_number="J12/3456/2019",
        share_capital=None,
        share_capital_currency=None,
        iban=None,
        bic=None,
    )
    customer = Customer(
        id="cus_1",
        kind="company",
        name="Buyer",
        legal_name="Buyer SRL",
        vat_id="RO14399840",
        registration_number=None,
        country="RO",
        address=address,
        email=None,
    )
    return account, customer


def _minor(tree: etree._Element, path: str) -> list[int]:
    return [int(Decimal(str(x)) * 100) for x in tree.xpath(path, namespaces=NS)]


@settings(max_examples=300, derandomize=True)
@given(lines, discounts, st.booleans(), st.integers(min_value=0, max_value=3000))
def test_the_documents_sums_are_the_invoices(
    items: list[LineInput], offs: list[DiscountInput], inclusive: bool, credit: int
) -> None:
    invoice, rows = _rows(
        InvoiceInput("RON", tuple(items), tuple(offs), inclusive, credit_balance=credit)
    )
    account, customer = _parties()
    doc = ubl.invoice_document(account, customer, invoice, rows)
    assert sum(g.tax for g in doc.groups) == invoice.tax_total
    assert sum(g.taxable for g in doc.groups) + invoice.tax_total == invoice.total
    assert doc.line_total - doc.discount_total + doc.tax_total == invoice.total
    for group in doc.groups:
        nets = [x.net for x in doc.lines if (x.category, x.rate) == (group.category, group.rate)]
        assert sum(nets) - group.discount == group.taxable  # BR-S-08 and its kin
    tree = etree.fromstring(ubl.build(doc))
    total = "cac:LegalMonetaryTotal/cbc:"
    (lines_total,) = _minor(tree, f"{total}LineExtensionAmount/text()")
    (exclusive,) = _minor(tree, f"{total}TaxExclusiveAmount/text()")
    (inclusive_total,) = _minor(tree, f"{total}TaxInclusiveAmount/text()")
    (payable,) = _minor(tree, f"{total}PayableAmount/text()")
    allowances = sum(_minor(tree, f"{total}AllowanceTotalAmount/text()"))
    prepaid = sum(_minor(tree, f"{total}PrepaidAmount/text()"))
    assert lines_total == sum(_minor(tree, "cac:InvoiceLine/cbc:LineExtensionAmount/text()"))
    assert exclusive == lines_total - allowances
    assert allowances == sum(_minor(tree, "cac:AllowanceCharge/cbc:Amount/text()"))
    (tax,) = _minor(tree, "cac:TaxTotal/cbc:TaxAmount/text()")
    assert tax == sum(_minor(tree, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount/text()"))
    assert inclusive_total == exclusive + tax == invoice.total
    assert payable == inclusive_total - prepaid  # BR-CO-16
    # A negative invoice is owed to the customer (its credit goes to their balance).
    assert payable == (invoice.amount_due if invoice.total >= 0 else invoice.total)
    # Prices are never negative (BR-27): a credit line has a negative quantity instead.
    assert all(p >= 0 for p in _minor(tree, "//cbc:PriceAmount/text()"))
