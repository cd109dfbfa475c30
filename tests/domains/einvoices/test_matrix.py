"""Every kind of document Recura issues makes an e-invoice that passes the UBL 2.1 schema,
CEN's EN 16931 rules and the Romanian CIUS-RO rules with no fatal finding. Documents are
made by the real domain (API calls, the issuing service), not written by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.core.invoicing import DiscountInput, InvoiceInput, LineInput
from recura.core.tax import Category, RateKind
from recura.db.models import Customer, EInvoice
from recura.db.unit_of_work import unit_of_work, units_of
from recura.domains.accounts import repository as accounts
from recura.domains.common.tenant import Tenant
from recura.domains.einvoices import service, validation
from recura.domains.invoices import issuing, taxes
from recura.jobs.worker import run_once
from tests.conftest import T0, Api, Merchant
from tests.domains.einvoices.rules import reference_rules

NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
CLUJ = {
    "line1": "Str. Memorandumului 28",
    "city": "Cluj-Napoca",
    "postal_code": "400114",
    "county": "RO-CJ",
    "country": "RO",
}
BUCHAREST = {
    "line1": "Bd. Unirii 15",
    "city": "București",
    "postal_code": "030823",
    "county": "RO-B",
    "sector": 3,
    "country": "RO",
}
SELLER = {
    "vat_registered": True,
    "vat_id": "RO18547290",
    "registration_number": "J12/3456/2019",
    "share_capital": 20000,
    "address": CLUJ,
    "iban": "RO49AAAA1B31007593840000",
    "timezone": "Europe/Bucharest",
}
# CIUS-RO wants a delivery address's subdivision (BR-RO-211).
BERLIN = {
    "line1": "Hauptstr. 1",
    "city": "Berlin",
    "postal_code": "10115",
    "region": "DE-BE",
    "country": "DE",
}
COMPANY = {
    "kind": "company",
    "legal_name": "Norditech Software SRL",
    "vat_id": "RO14399840",
    "registration_number": "J40/12345/2020",
    "country": "RO",
    "address": BUCHAREST,
}


@pytest.fixture
def rules() -> Path:
    return reference_rules()


@dataclass
class Shop:
    api: Api
    merchant: Merchant
    factory: sessionmaker[Session]
    rules: Path

    @property
    def tenant(self) -> Tenant:
        return Tenant(self.merchant.account_id, False)

    def plan(self, amount: int = 10000, currency: str = "RON", **extra: Any) -> str:
        product = self.api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
        body: dict[str, Any] = {"product": product, "code": f"p{amount}{currency.lower()}"}
        body |= {"name": "Pro", "pricing_model": "flat"}
        body["prices"] = [{"currency": currency, "amount": amount}]
        return str(self.api.ok("POST", "/v1/plans", 201, json=body | extra)["id"])

    def customer(self, **details: Any) -> str:
        body = {"name": "Ana Popescu", "email": "ana@example.ro", **details}
        return str(self.api.ok("POST", "/v1/customers", 201, json=body)["id"])

    def invoice(self, customer: str, plan: str, **extra: Any) -> dict[str, Any]:
        body = {"customer": customer, "plan": plan, "collection_method": "send_invoice", **extra}
        sub = self.api.ok("POST", "/v1/subscriptions", 201, json=body)["id"]
        found = self.api.ok("GET", "/v1/invoices", params={"subscription": sub})["data"]
        assert found, "the subscription made no invoice"
        return dict(found[0])

    def einvoice(self, *, invoice: str | None = None, credit_note: str | None = None) -> EInvoice:
        with unit_of_work(self.factory) as session:
            made = service.make(
                session,
                self.tenant,
                T0,
                invoice_id=invoice,
                credit_note_id=credit_note,
                rules=self.rules,
            )
            session.expunge(made)
        return made


@pytest.fixture
def shop(merchant: Merchant, session_factory: sessionmaker[Session], rules: Path) -> Shop:
    merchant.api.ok("PATCH", "/v1/account", json=SELLER)
    return Shop(merchant.api, merchant, session_factory, rules)


def _valid(made: EInvoice) -> etree._Element:
    fatal = [f for f in made.findings if f["severity"] == "fatal"]
    assert fatal == [], fatal
    assert made.state == "pending"
    assert made.xml is not None
    assert made.validated_at is not None
    return etree.fromstring(made.xml)


def _all(tree: etree._Element, path: str) -> list[str]:
    return [str(x) for x in tree.xpath(path, namespaces=NS)]


def _one(tree: etree._Element, path: str) -> str:
    found = _all(tree, path)
    assert len(found) == 1, (path, found)
    return found[0]


def _amount(tree: etree._Element, name: str) -> int:
    return int(Decimal(_one(tree, f"cac:LegalMonetaryTotal/cbc:{name}/text()")) * 100)


def test_domestic_b2b_with_a_bucharest_buyer_and_a_county_seller(shop: Shop) -> None:
    invoice = shop.invoice(shop.customer(**COMPANY), shop.plan())
    tree = _valid(shop.einvoice(invoice=invoice["id"]))
    assert _one(tree, "cbc:InvoiceTypeCode/text()") == "380"
    seller = "cac:AccountingSupplierParty/cac:Party"
    buyer = "cac:AccountingCustomerParty/cac:Party"
    assert _one(tree, f"{seller}/cac:PostalAddress/cbc:CountrySubentity/text()") == "RO-CJ"
    assert _one(tree, f"{seller}/cac:PostalAddress/cbc:CityName/text()") == "Cluj-Napoca"
    assert _one(tree, f"{buyer}/cac:PostalAddress/cbc:CountrySubentity/text()") == "RO-B"
    assert _one(tree, f"{buyer}/cac:PostalAddress/cbc:CityName/text()") == "SECTOR3"
    assert _one(tree, f"{buyer}/cac:PartyTaxScheme/cbc:CompanyID/text()") == "RO14399840"
    assert _one(tree, f"{seller}/cac:PartyTaxScheme/cbc:CompanyID/text()") == "RO18547290"
    assert _one(tree, "cac:PaymentMeans/cbc:PaymentMeansCode/text()") == "30"
    assert (
        _one(tree, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID/text()") == (SELLER["iban"])
    )
    # The invoice's own totals, to the cent.
    assert _amount(tree, "PayableAmount") == invoice["amount_due"]["amount"] == 12100
    assert _amount(tree, "TaxExclusiveAmount") == 10000
    assert _one(tree, "cac:TaxTotal/cbc:TaxAmount/text()") == "21.00"


@pytest.mark.parametrize(
    ("cnp", "identifier"), [("1800101221144", "1800101221144"), (None, "0000000000000")]
)
def test_b2c_a_romanian_individual_with_or_without_a_cnp(
    shop: Shop, cnp: str | None, identifier: str
) -> None:
    details: dict[str, Any] = {"country": "RO", "address": CLUJ}
    customer = shop.customer(**details)
    if cnp is not None:
        with unit_of_work(shop.factory) as session:
            row = session.get(Customer, (shop.merchant.account_id, customer))
            assert row is not None
            row.vat_id = cnp
    tree = _valid(shop.einvoice(invoice=shop.invoice(customer, shop.plan())["id"]))
    buyer = "cac:AccountingCustomerParty/cac:Party"
    assert _one(tree, f"{buyer}/cac:PartyLegalEntity/cbc:CompanyID/text()") == identifier
    assert _all(tree, f"{buyer}/cac:PartyTaxScheme") == []


def _confirmed(shop: Shop, customer: str) -> None:
    with unit_of_work(shop.factory) as session:
        row = session.get(Customer, (shop.merchant.account_id, customer))
        assert row is not None
        row.vat_id_validated_at = T0


def test_eu_reverse_charge(shop: Shop) -> None:
    address = {"line1": "Hauptstr. 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}
    weber = {"kind": "company", "legal_name": "Weber GmbH", "vat_id": "DE136695976"}
    customer = shop.customer(country="DE", address=address, **weber)
    _confirmed(shop, customer)
    tree = _valid(shop.einvoice(invoice=shop.invoice(customer, shop.plan())["id"]))
    category = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory"
    assert _one(tree, f"{category}/cbc:ID/text()") == "AE"
    assert _one(tree, f"{category}/cbc:TaxExemptionReasonCode/text()") == "VATEX-EU-AE"
    assert "taxare inversă" in _one(tree, f"{category}/cbc:TaxExemptionReason/text()").lower()


def test_export_of_services_outside_the_eu(shop: Shop) -> None:
    address = {"line1": "1 Main St", "city": "Boston", "postal_code": "02108", "country": "US"}
    customer = shop.customer(country="US", kind="company", legal_name="Acme Inc.", address=address)
    tree = _valid(shop.einvoice(invoice=shop.invoice(customer, shop.plan())["id"]))
    category = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory"
    assert _one(tree, f"{category}/cbc:ID/text()") == "O"
    assert _one(tree, f"{category}/cbc:TaxExemptionReasonCode/text()") == "VATEX-EU-O"
    # Not subject: no VAT number on either side (BR-O-2).
    assert _all(tree, "//cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']") == []


def _goods_invoice(shop: Shop, customer: str) -> tuple[str, Category]:
    """The first invoice of a plan selling goods (a box shipped each month, say) to
    `customer`, and the VAT category its line was decided in."""
    plan = shop.plan(12000, name="Cutie lunară", supply_nature="goods")
    invoice = shop.invoice(customer, plan)
    (line,) = invoice["lines"]
    return invoice["id"], Category(line["tax_category"])


def test_export_of_goods_outside_the_eu(shop: Shop) -> None:
    address = {"line1": "1 Main St", "city": "Boston", "postal_code": "02108", "country": "US"}
    acme = {"kind": "company", "legal_name": "Acme Inc.", "registration_number": "12-3456789"}
    customer = shop.customer(country="US", address=address, **acme)
    invoice_id, category = _goods_invoice(shop, customer)
    assert category is Category.EXPORT
    tree = _valid(shop.einvoice(invoice=invoice_id))
    path = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory"
    assert _one(tree, f"{path}/cbc:ID/text()") == "G"
    assert _one(tree, f"{path}/cbc:TaxExemptionReasonCode/text()") == "VATEX-EU-G"


def test_goods_to_a_company_in_another_member_state(shop: Shop) -> None:
    weber = {"kind": "company", "legal_name": "Weber GmbH", "vat_id": "DE136695976"}
    customer = shop.customer(country="DE", address=BERLIN, **weber)
    _confirmed(shop, customer)
    invoice_id, category = _goods_invoice(shop, customer)
    assert category is Category.INTRA_COMMUNITY
    tree = _valid(shop.einvoice(invoice=invoice_id))
    path = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory"
    assert _one(tree, f"{path}/cbc:ID/text()") == "K"
    assert _one(tree, f"{path}/cbc:TaxExemptionReasonCode/text()") == "VATEX-EU-IC"
    # Where the goods go (BR-IC-12): the buyer's address; when: the lines' period (BR-IC-11).
    assert _one(tree, "cac:Delivery//cac:Country/cbc:IdentificationCode/text()") == "DE"
    assert _one(tree, "cac:InvoicePeriod/cbc:StartDate/text()") == "2026-01-15"
    body = {"invoice": invoice_id, "amount": 5000, "reason": "product_unsatisfactory"}
    note = shop.api.ok("POST", "/v1/credit_notes", 201, json=body)
    credit = _valid(shop.einvoice(credit_note=note["id"]))
    assert _one(credit, "cac:Delivery//cac:Country/cbc:IdentificationCode/text()") == "DE"


def test_goods_and_software_to_a_company_in_another_member_state(shop: Shop) -> None:
    """One invoice, two natures: the box is an intra-community supply (K), the app sold
    with it an electronic service reverse charged (AE)."""
    weber = {"kind": "company", "legal_name": "Weber GmbH", "vat_id": "DE136695976"}
    customer = shop.customer(country="DE", address=BERLIN, **weber)
    _confirmed(shop, customer)
    app = {"code": "app", "name": "Aplicație", "pricing_model": "flat"}
    app["prices"] = [{"currency": "RON", "amount": 3000}]
    add_on = shop.api.ok("POST", "/v1/add_ons", 201, json=app)["id"]
    plan = shop.plan(12000, name="Cutie lunară", supply_nature="goods")
    invoice = shop.invoice(customer, plan, add_ons=[{"add_on": add_on}])
    lines = {line["description"]: line["tax_category"] for line in invoice["lines"]}
    assert lines == {"Cutie lunară": "K", "Aplicație": "AE"}
    tree = _valid(shop.einvoice(invoice=invoice["id"]))
    path = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory"
    assert sorted(_all(tree, f"{path}/cbc:ID/text()")) == ["AE", "K"]
    assert _one(tree, "cac:Delivery//cac:Country/cbc:IdentificationCode/text()") == "DE"
    assert _amount(tree, "PayableAmount") == invoice["amount_due"]["amount"] == 15000
    # A partial credit of it is shared between the two categories as the invoice's
    # lines share the 0 % rate: 120.00 and 30.00 billed, 50.00 credited.
    body = {"invoice": invoice["id"], "amount": 5000, "reason": "product_unsatisfactory"}
    note = shop.api.ok("POST", "/v1/credit_notes", 201, json=body)
    credit = _valid(shop.einvoice(credit_note=note["id"]))
    subtotals = "cac:TaxTotal/cac:TaxSubtotal"
    credited = {
        _one(sub, "cac:TaxCategory/cbc:ID/text()"): _one(sub, "cbc:TaxableAmount/text()")
        for sub in credit.xpath(subtotals, namespaces=NS)
    }
    assert credited == {"K": "40.00", "AE": "10.00"}
    assert _one(credit, "cac:Delivery//cac:Country/cbc:IdentificationCode/text()") == "DE"


def test_goods_to_a_company_without_an_address_wait_for_it(shop: Shop) -> None:
    """Where intra-community goods go must be on the document (BG-15): without the
    customer's address none is made, the finding says what is missing, and it is made once
    the address is there."""
    weber = {"kind": "company", "legal_name": "Weber GmbH", "vat_id": "DE136695976"}
    customer = shop.customer(country="DE", **weber)
    _confirmed(shop, customer)
    invoice_id, category = _goods_invoice(shop, customer)
    assert category is Category.INTRA_COMMUNITY
    made = shop.einvoice(invoice=invoice_id)
    assert (made.state, made.xml, made.validated_at) == ("pending", None, None)
    (finding,) = made.findings
    assert (finding["rule"], finding["severity"]) == (service.NO_DELIVERY, "fatal")
    # In Romanian, then English, as the rule sets' findings are.
    assert finding["message"].startswith("Bunurile livrate în alt stat membru")
    assert "adresa clientului nu are line1, city, region:" in finding["message"]
    assert "address has no line1, city, region:" in finding["message"]
    units = units_of(shop.factory)
    # An address without its region is not enough for CIUS-RO (BR-RO-211).
    address = {k: v for k, v in BERLIN.items() if k != "region"}
    shop.api.ok("PATCH", f"/v1/customers/{customer}", json={"address": address})
    assert service.check_unchecked(units, T0, rules=shop.rules) == 1
    waiting = shop.api.ok("GET", f"/v1/invoices/{invoice_id}/einvoice")
    assert waiting["state"] == "pending"
    (finding,) = waiting["findings"]
    assert "address has no region:" in finding["message"]
    shop.api.ok("PATCH", f"/v1/customers/{customer}", json={"address": BERLIN})
    assert service.check_unchecked(units, T0, rules=shop.rules) == 1
    got = shop.api.ok("GET", f"/v1/invoices/{invoice_id}/einvoice")
    assert (got["state"], got["findings"]) == ("pending", [])
    assert got["validated_at"] is not None
    xml = etree.fromstring(shop.api.get(f"/v1/invoices/{invoice_id}/einvoice.xml").content)
    assert _one(xml, "cac:Delivery//cbc:CountrySubentity/text()") == "DE-BE"


def test_goods_to_a_company_whose_vat_number_is_not_confirmed_wait_for_its_address(
    shop: Shop,
) -> None:
    """Until VIES confirms its VAT number, a company in another member state is charged VAT
    (S), and the goods still go there: the document waits for the address as an
    intra-community supply does - not made without it, so never refused for the buyer's
    street and city (BR-RO-082, BR-RO-092) - and, made, says where the goods go."""
    weber = {"kind": "company", "legal_name": "Weber GmbH", "vat_id": "DE136695976"}
    customer = shop.customer(country="DE", **weber)
    invoice_id, category = _goods_invoice(shop, customer)
    assert category is Category.STANDARD
    made = shop.einvoice(invoice=invoice_id)
    assert (made.state, made.xml, made.validated_at) == ("pending", None, None)
    (finding,) = made.findings
    assert (finding["rule"], finding["severity"]) == (service.NO_DELIVERY, "fatal")
    assert finding["location"] == "/Invoice/cac:Delivery/cac:DeliveryLocation/cac:Address"
    assert "adresa clientului nu are line1, city, region:" in finding["message"]
    assert "address has no line1, city, region:" in finding["message"]
    units = units_of(shop.factory)
    # A street and a city would do for the buyer's address, not for where goods go.
    address = {k: v for k, v in BERLIN.items() if k != "region"}
    shop.api.ok("PATCH", f"/v1/customers/{customer}", json={"address": address})
    assert service.check_unchecked(units, T0, rules=shop.rules) == 1
    (finding,) = shop.api.ok("GET", f"/v1/invoices/{invoice_id}/einvoice")["findings"]
    assert "address has no region:" in finding["message"]
    shop.api.ok("PATCH", f"/v1/customers/{customer}", json={"address": BERLIN})
    assert service.check_unchecked(units, T0, rules=shop.rules) == 1
    tree = _valid(shop.einvoice(invoice=invoice_id))
    path = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory"
    assert (_one(tree, f"{path}/cbc:ID/text()"), _one(tree, f"{path}/cbc:Percent/text()")) == (
        "S",
        "21",
    )
    assert _one(tree, "cac:Delivery//cac:Country/cbc:IdentificationCode/text()") == "DE"
    assert _one(tree, "cac:Delivery//cbc:CountrySubentity/text()") == "DE-BE"
    body = {"invoice": invoice_id, "amount": 5000, "reason": "product_unsatisfactory"}
    note = shop.api.ok("POST", "/v1/credit_notes", 201, json=body)
    credit = _valid(shop.einvoice(credit_note=note["id"]))
    assert _one(credit, "cac:Delivery//cbc:CityName/text()") == "Berlin"


def test_software_to_a_company_in_another_member_state_needs_no_delivery_address(
    shop: Shop,
) -> None:
    """Only goods go somewhere: an electronic service to the same unconfirmed company
    carries no delivery and does not wait for one."""
    weber = {"kind": "company", "legal_name": "Weber GmbH", "vat_id": "DE136695976"}
    address = {k: v for k, v in BERLIN.items() if k != "region"}
    customer = shop.customer(country="DE", address=address, **weber)
    tree = _valid(shop.einvoice(invoice=shop.invoice(customer, shop.plan())["id"]))
    assert _one(tree, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID/text()") == "S"
    assert _all(tree, "cac:Delivery") == []


def test_documents_waiting_on_their_customers_take_turns(shop: Shop) -> None:
    """A document that cannot be made yet is checked again each pass; a batch of them
    must not keep the others from being checked: the longest unchecked goes first."""
    weber = {"kind": "company", "legal_name": "Weber GmbH", "vat_id": "DE136695976"}
    plan = shop.plan(12000, name="Cutie lunară", supply_nature="goods")
    waiting = []
    for _ in range(2):
        customer = shop.customer(country="DE", **weber)
        _confirmed(shop, customer)
        waiting.append(shop.invoice(customer, plan)["id"])
        assert shop.einvoice(invoice=waiting[-1]).xml is None  # no address: not made
    units = units_of(shop.factory)
    first, second = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
    assert service.check_unchecked(units, first, limit=1, rules=shop.rules) == 1
    assert service.check_unchecked(units, second, limit=1, rules=shop.rules) == 1
    checked = {shop.einvoice(invoice=i).updated_at.replace(tzinfo=None) for i in waiting}
    assert checked == {first.replace(tzinfo=None), second.replace(tzinfo=None)}


def test_prices_including_vat_and_a_coupon(shop: Shop) -> None:
    shop.api.ok("PATCH", "/v1/account", json={"tax_inclusive": True})
    coupon = {"code": "welcome-15", "name": "Welcome", "percent_off": 15, "duration": "once"}
    coupon_id = shop.api.ok("POST", "/v1/coupons", 201, json=coupon)["id"]
    invoice = shop.invoice(shop.customer(**COMPANY), shop.plan(9999), coupon=coupon_id)
    assert invoice["discount_total"]["amount"] > 0
    tree = _valid(shop.einvoice(invoice=invoice["id"]))
    assert _amount(tree, "PayableAmount") == invoice["amount_due"]["amount"]
    assert _amount(tree, "TaxInclusiveAmount") == invoice["total"]["amount"]
    tax = int(Decimal(_one(tree, "cac:TaxTotal/cbc:TaxAmount/text()")) * 100)
    assert tax == invoice["tax_total"]["amount"]
    assert _one(tree, "cac:AllowanceCharge/cbc:ChargeIndicator/text()") == "false"


def test_two_vat_rates_on_one_invoice(shop: Shop) -> None:
    customer = shop.customer(**COMPANY)
    with unit_of_work(shop.factory) as session:
        account = accounts.account_by_key(session, shop.merchant.account_id)
        billed = session.get_one(Customer, (account.id, customer))
        on = date(2026, 1, 15)
        standard = taxes.decision(account, billed, on)
        reduced = taxes.decision(account, billed, on, RateKind.REDUCED)
        assert (standard.rate, reduced.rate) == (Decimal(21), Decimal(11))
        lines = (
            LineInput("Abonament CRM", 10000, tax_rate=standard.rate, tax=standard),
            LineInput("Curs online", 4550, tax_rate=reduced.rate, tax=reduced),
        )
        inputs = InvoiceInput(
            "RON", lines, discounts=(DiscountInput("PROMO 10%", percent_off=Decimal(10)),)
        )
        issue = issuing.Issue(
            shop.tenant, account, customer, None, "manual", inputs, None, None, "send_invoice"
        )
        (invoice_id,) = issuing.issue_many(session, [issue], T0)
    invoice = shop.api.ok("GET", f"/v1/invoices/{invoice_id}")
    tree = _valid(shop.einvoice(invoice=invoice_id))
    rates = _all(tree, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent/text()")
    assert sorted(rates) == ["11", "21"]
    assert _amount(tree, "PayableAmount") == invoice["amount_due"]["amount"]


def test_a_euro_invoice_states_its_vat_in_lei(shop: Shop) -> None:
    rate = {"date": "2026-01-14", "base": "EUR", "quote": "RON", "rate": "5.0912"}
    shop.api.ok("POST", "/v1/exchange_rates", 201, json=rate)
    invoice = shop.invoice(shop.customer(**COMPANY, currency="EUR"), shop.plan(4900, "EUR"))
    made = shop.einvoice(invoice=invoice["id"])
    tree = _valid(made)
    assert _one(tree, "cbc:DocumentCurrencyCode/text()") == "EUR"
    assert _one(tree, "cbc:TaxCurrencyCode/text()") == "RON"
    # 49.00 EUR at 21 % is 10.29 EUR of VAT, 52.39 lei at 5.0912 (half away from zero).
    assert _all(tree, "cac:TaxTotal/cbc:TaxAmount[@currencyID='RON']/text()") == ["52.39"]
    stored = shop.api.ok("GET", f"/v1/invoices/{invoice['id']}")
    assert stored["tax_total"]["amount"] == 1029


def test_a_partial_credit_note_names_the_invoice_it_corrects(shop: Shop) -> None:
    invoice = shop.invoice(shop.customer(**COMPANY), shop.plan())
    body = {"invoice": invoice["id"], "amount": 6050, "reason": "product_unsatisfactory"}
    note = shop.api.ok("POST", "/v1/credit_notes", 201, json=body)
    tree = _valid(shop.einvoice(credit_note=note["id"]))
    assert etree.QName(tree).localname == "CreditNote"
    assert _one(tree, "cbc:CreditNoteTypeCode/text()") == "381"
    reference = "cac:BillingReference/cac:InvoiceDocumentReference"
    assert _one(tree, f"{reference}/cbc:ID/text()") == invoice["number"]
    assert _amount(tree, "PayableAmount") == 6050
    assert _one(tree, "cac:TaxTotal/cbc:TaxAmount/text()") == "10.50"


def test_the_deadline_is_five_working_days_after_the_issue(shop: Shop) -> None:
    made = shop.einvoice(invoice=shop.invoice(shop.customer(**COMPANY), shop.plan())["id"])
    # Issued Thursday 15 January 2026: the 22nd is the fifth working day after.
    assert made.deadline == T0.date() + timedelta(days=7)
    assert made.sha256 is not None
    assert len(made.sha256) == 64


def test_a_broken_document_is_refused_naming_the_rule_and_the_field(shop: Shop) -> None:
    made = _valid(shop.einvoice(invoice=shop.invoice(shop.customer(**COMPANY), shop.plan())["id"]))
    city = made.xpath("cac:AccountingCustomerParty//cbc:CityName", namespaces=NS)[0]
    city.text = "Bucuresti"  # CIUS-RO wants the sector in Bucharest
    findings = validation.validate(etree.tostring(made), shop.rules)
    fatal = [f for f in findings if f.severity == "fatal"]
    assert [f.rule for f in fatal] == ["BR-RO-101"]
    # The rule names the field by its EN 16931 term: the buyer's city.
    assert "(BT-52)" in fatal[0].message
    assert fatal[0].rule_set == "cius-ro"
    assert fatal[0].location.startswith("/*:Invoice")


def test_a_document_the_schema_refuses_names_the_element(shop: Shop) -> None:
    made = _valid(shop.einvoice(invoice=shop.invoice(shop.customer(**COMPANY), shop.plan())["id"]))
    made.insert(0, etree.Element(f"{{{NS['cbc']}}}Unknown"))
    findings = validation.validate(etree.tostring(made), shop.rules)
    assert [f.rule for f in findings] == [validation.XSD]
    assert "Unknown" in findings[0].message


def test_an_upgrade_credits_unused_time_on_a_line_of_its_own(shop: Shop, clock: FixedClock) -> None:
    customer = shop.customer(**COMPANY)
    first = shop.invoice(customer, shop.plan(10000))
    clock.advance(timedelta(days=10))
    body = {"plan": shop.plan(20000), "effective": "now"}
    shop.api.ok("POST", f"/v1/subscriptions/{first['subscription']}/change", json=body)
    found = shop.api.ok("GET", "/v1/invoices", params={"subscription": first["subscription"]})
    (change,) = [i for i in found["data"] if i["id"] != first["id"]]
    assert any(line["amount"]["amount"] < 0 for line in change["lines"])
    tree = _valid(shop.einvoice(invoice=change["id"]))
    # The credit is a negative quantity at a positive price (BR-27).
    quantities = _all(tree, "cac:InvoiceLine/cbc:InvoicedQuantity/text()")
    assert any(q.startswith("-") for q in quantities)
    assert not any(p.startswith("-") for p in _all(tree, "//cbc:PriceAmount/text()"))
    assert _amount(tree, "PayableAmount") == change["amount_due"]["amount"]


def test_a_card_payment_and_a_seller_outside_vat(shop: Shop) -> None:
    # A small enterprise: no VAT charged (O), its CUI without the RO prefix.
    shop.api.ok("PATCH", "/v1/account", json={"vat_registered": False, "vat_id": "18547290"})
    customer = shop.customer(**COMPANY)
    body = {"customer": customer, "plan": shop.plan()}
    sub = shop.api.ok("POST", "/v1/subscriptions", 201, json=body)["id"]
    (invoice,) = shop.api.ok("GET", "/v1/invoices", params={"subscription": sub})["data"]
    tree = _valid(shop.einvoice(invoice=invoice["id"]))
    assert _one(tree, "cac:PaymentMeans/cbc:PaymentMeansCode/text()") == "48"
    assert _all(tree, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID/text()") == ["O"]
    seller = "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme"
    assert _one(tree, f"{seller}/cbc:CompanyID/text()") == "18547290"


def test_a_full_credit_note_of_a_euro_invoice_with_prices_including_vat(shop: Shop) -> None:
    shop.api.ok("PATCH", "/v1/account", json={"tax_inclusive": True})
    rate = {"date": "2026-01-14", "base": "EUR", "quote": "RON", "rate": "5.0912"}
    shop.api.ok("POST", "/v1/exchange_rates", 201, json=rate)
    invoice = shop.invoice(shop.customer(**COMPANY, currency="EUR"), shop.plan(2999, "EUR"))
    _valid(shop.einvoice(invoice=invoice["id"]))
    note = shop.api.ok(
        "POST", "/v1/credit_notes", 201, json={"invoice": invoice["id"], "reason": "duplicate"}
    )
    tree = _valid(shop.einvoice(credit_note=note["id"]))
    assert _amount(tree, "PayableAmount") == invoice["total"]["amount"] == 2999
    assert _one(tree, "cbc:TaxCurrencyCode/text()") == "RON"
    assert len(_all(tree, "cac:TaxTotal/cbc:TaxAmount[@currencyID='RON']/text()")) == 1


def _gazeta(shop: Shop, amount: int = 10000, code: str = "gazeta") -> str:
    """A digital newspaper's plan: taxed at the reduced rate (11 % from August 2025)."""
    product = shop.api.ok("POST", "/v1/products", 201, json={"name": "Gazeta"})["id"]
    body: dict[str, Any] = {"product": product, "code": code, "name": "Gazeta digitală"}
    body |= {"pricing_model": "flat", "prices": [{"currency": "RON", "amount": amount}]}
    body["tax_rate_kind"] = "reduced"
    return str(shop.api.ok("POST", "/v1/plans", 201, json=body)["id"])


def _events_pack(shop: Shop) -> str:
    """An add-on of the newspaper's plan that is not press: tickets, at the standard rate."""
    body: dict[str, Any] = {"code": "events", "name": "Acces evenimente"}
    body |= {"pricing_model": "per_unit", "prices": [{"currency": "RON", "unit_amount": "1500"}]}
    return str(shop.api.ok("POST", "/v1/add_ons", 201, json=body)["id"])


def _subtotals(tree: etree._Element) -> dict[str, tuple[str, str]]:
    """Each VAT rate's (taxable amount, tax amount) in the breakdown."""
    found = {}
    for subtotal in tree.xpath("cac:TaxTotal/cac:TaxSubtotal", namespaces=NS):
        rate = _one(subtotal, "cac:TaxCategory/cbc:Percent/text()")
        taxable = _one(subtotal, "cbc:TaxableAmount/text()")
        found[rate] = (taxable, _one(subtotal, "cbc:TaxAmount/text()"))
    return found


def test_a_reduced_rate_plan_with_a_standard_rate_add_on_renews_at_both_rates(shop: Shop) -> None:
    customer = shop.customer(**COMPANY)
    add_ons = [{"add_on": _events_pack(shop), "quantity": "2"}]
    first = shop.invoice(customer, _gazeta(shop), add_ons=add_ons)
    # Renewed on Feb 15 by the worker, as every renewal is.
    run_once(shop.factory, FixedClock(T0 + timedelta(days=31)), only={"billing"})
    found = shop.api.ok("GET", "/v1/invoices", params={"subscription": first["subscription"]})
    (renewal,) = [i for i in found["data"] if i["reason"] == "subscription_cycle"]
    for invoice in (first, renewal):
        rates = {line["description"]: line["tax_rate"] for line in invoice["lines"]}
        assert rates == {"Gazeta digitală": "11", "Acces evenimente": "21"}
        # 100.00 at 11 % and 2 x 15.00 at 21 %: 11.00 + 6.30 of VAT.
        assert invoice["subtotal"]["amount"] == 13000
        assert invoice["tax_total"]["amount"] == 1730
        assert invoice["amount_due"]["amount"] == 14730
    tree = _valid(shop.einvoice(invoice=renewal["id"]))
    assert _subtotals(tree) == {"11": ("100.00", "11.00"), "21": ("30.00", "6.30")}
    lines = tree.xpath("cac:InvoiceLine", namespaces=NS)
    assert sorted(
        _one(li, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent/text()") for li in lines
    ) == ["11", "21"]
    assert _amount(tree, "PayableAmount") == 14730


def test_a_proration_on_a_reduced_rate_plan_is_at_the_reduced_rate(
    shop: Shop, clock: FixedClock
) -> None:
    customer = shop.customer(**COMPANY)
    add_ons = [{"add_on": _events_pack(shop), "quantity": "1"}]
    first = shop.invoice(customer, _gazeta(shop), add_ons=add_ons)
    clock.advance(timedelta(days=10))
    body = {"plan": _gazeta(shop, 20000, "gazeta-plus"), "effective": "now"}
    shop.api.ok("POST", f"/v1/subscriptions/{first['subscription']}/change", json=body)
    found = shop.api.ok("GET", "/v1/invoices", params={"subscription": first["subscription"]})
    (change,) = [i for i in found["data"] if i["id"] != first["id"]]
    # 21 of the period's 31 days left: 100.00 credited, 200.00 charged, both at 11 %; the
    # add-on did not change, so it is not prorated.
    amounts = [(line["amount"]["amount"], line["tax_rate"]) for line in change["lines"]]
    assert amounts == [(-6774, "11"), (13548, "11")]
    assert change["tax_total"]["amount"] == 745  # 11 % of 67.74
    assert change["amount_due"]["amount"] == 7519
    tree = _valid(shop.einvoice(invoice=change["id"]))
    assert _subtotals(tree) == {"11": ("67.74", "7.45")}
