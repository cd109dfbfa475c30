"""The UBL 2.1 document of an invoice (Invoice, type 380) or a credit note (CreditNote, 381),
following EN 16931 and the Romanian CIUS-RO 1.0.1.

Built from the stored rows only: every amount is the one the invoice was issued with
(`invoices.tax_lines` per rate, the lines' rounded amounts, their discounts), so the
document's totals are the invoice's to the cent. What EN 16931 needs and the stored rows
hold differently:

- Discounts are document-level allowances (BG-20), one per VAT category and rate, the sum
  of the lines' shares; lines carry their amount before discounts (BT-131).
- With prices including VAT, line amounts hold the tax: each category and rate's net
  (BT-116, stored) is its lines' net less its discount's net, so the lines' nets are made
  to add up to it exactly and the remainder of rounding goes to the largest line.
- The VAT breakdown (BG-23) is per category and rate; lines of one rate in several
  categories (only possible at 0 %) share its stored net by their amounts.
- A credit note stores its credit per rate: it has one line per category and rate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree
from stdnum.exceptions import ValidationError
from stdnum.ro import cnp

from recura import i18n
from recura.core.money import exponent, round_fraction
from recura.core.tax import Nature
from recura.core.vat_rates import EU_COUNTRIES
from recura.db.models import Account, CreditNote, Customer, Invoice, InvoiceLine

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:efactura.mfinante.ro:CIUS-RO:1.0.1"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ROMANIA = "RO"
BUCHAREST = "RO-B"
# ANAF's identifier of a Romanian individual whose CNP is not known (CIUS-RO guidance).
NO_CNP = "0000000000000"
# Documents are worded in Romanian: the language of a Romanian seller's legal documents.
LANGUAGE = "ro"
# A finding of Recura's own reads as the rule sets' do: Romanian, then English.
LANGUAGES = (LANGUAGE, "en")
UNIT = "C62"  # UN/ECE rec. 20 "one": a subscription, a seat, a unit of usage.
ZERO_RATED = frozenset({"Z", "E", "AE", "K", "G", "O"})
# CIUS-RO's length limits (BR-RO-L*): names and lines of an address, descriptions, notes.
NAME_MAX = 200
LINE_MAX = 150
DESCRIPTION_MAX = 100
NOTE_MAX = 300


class NoDelivery(ValueError):
    """Goods sent to another member state whose buyer's address cannot say where they go:
    the document would break EN 16931's or CIUS-RO's delivery rules, so it is not made.
    The message is the document's language's, then English, as the rule sets' are."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        values = {"missing": ", ".join(missing)}
        said = [i18n.text("invoices", "einvoice.no_delivery", lang, **values) for lang in LANGUAGES]
        super().__init__(" #".join(said))


@dataclass(slots=True)
class Party:
    legal_name: str
    country: str
    address: dict[str, Any]
    vat_id: str | None = None  # BT-31 / BT-48: with its country prefix
    tax_id: str | None = None  # BT-32: a seller's tax number outside VAT
    legal_id: str | None = None  # BT-30 / BT-47
    legal_form: str | None = None  # BT-33
    email: str | None = None


@dataclass(slots=True)
class Line:
    description: str
    quantity: Decimal
    net: int  # BT-131, minor units, before document-level discounts
    category: str
    rate: Decimal
    period: tuple[date, date] | None = None


@dataclass(slots=True)
class Group:
    """One VAT category and rate: its taxable amount, tax, and discount (all minor units)."""

    category: str
    rate: Decimal
    taxable: int = 0
    tax: int = 0
    discount: int = 0
    exemption_code: str | None = None
    exemption_key: str | None = None


@dataclass(slots=True)
class Document:
    """What one e-invoice says, in minor units of `currency`."""

    credit_note: bool
    number: str
    issue_date: date
    currency: str
    seller: Party
    buyer: Party
    lines: list[Line]
    groups: list[Group]
    discount_reason: str
    line_total: int
    discount_total: int
    tax_total: int
    total: int
    prepaid: int
    due: int
    due_date: date | None = None
    period: tuple[date, date] | None = None
    deliver_to: Party | None = None  # BG-15: where goods go
    notes: list[str] = field(default_factory=list)
    invoice_reference: tuple[str, date] | None = None
    payment_code: str = "1"
    iban: str | None = None
    bic: str | None = None
    payment_id: str | None = None
    tax_currency: str | None = None
    tax_total_in_tax_currency: int | None = None


def _buyer_identifier(customer: Customer) -> str | None:
    """How the buyer is identified: a company by its VAT number or CUI; a Romanian
    individual by a valid CNP, else by thirteen zeros as ANAF asks; others by their VAT
    number when they gave one. The same rules as the customers domain's identification of
    a buyer; kept here so the document does not depend on how that is stored."""
    number = (customer.vat_id or "").strip().upper() or None
    if customer.kind == "company":
        return number
    if (customer.country or "").upper() == ROMANIA:
        if number is not None:
            try:
                return str(cnp.validate(number))
            except ValidationError:
                pass
        return NO_CNP
    return number


def _has_prefix(number: str) -> bool:
    return number[:2].isalpha()


def _text(key: str, **values: object) -> str:
    return i18n.text("invoices", key, LANGUAGE, **values)


def _seller(account: Account, categories: set[str]) -> Party:
    address = dict(account.address or {})
    address.setdefault("country", account.country)
    number = (account.vat_id or "").strip().upper() or None
    party = Party(account.legal_name, account.country, address)
    # A document with an O category (not subject: a small enterprise's, an export of
    # services) carries no VAT number (BR-O-2): the CUI goes as a tax registration number.
    if number is not None and _has_prefix(number) and "O" not in categories:
        party.vat_id = number
    elif number is not None:
        party.tax_id = number[2:] if _has_prefix(number) else number
    party.legal_id = account.registration_number
    if account.share_capital is not None and account.share_capital_currency:
        capital = _amount(account.share_capital, account.share_capital_currency)
        currency = account.share_capital_currency
        party.legal_form = _text("einvoice.share_capital", amount=capital, currency=currency)
    return party


def _buyer(customer: Customer, categories: set[str]) -> Party:
    address = dict(customer.address or {})
    country = str(address.get("country") or customer.country or "").upper()
    address["country"] = country
    name = (customer.legal_name if customer.kind == "company" else None) or customer.name
    party = Party(name or customer.email or customer.id, country, address, email=customer.email)
    number = _buyer_identifier(customer)
    vat_number = number is not None and _has_prefix(number) and customer.kind == "company"
    if vat_number and "O" not in categories:
        party.vat_id = number
    elif number is not None:
        party.legal_id = number
    # A company without a VAT number (outside the EU, say) is named by its registration.
    if customer.kind == "company" and customer.registration_number and party.legal_id is None:
        party.legal_id = customer.registration_number
    return party


def _day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def _net_of(gross: int, rate: Decimal) -> int:
    return round_fraction(Fraction(gross) * 100 / (100 + Fraction(rate)))


def _category(line: InvoiceLine) -> str:
    if line.tax_category:
        return line.tax_category
    # Lines made before the decision was kept: charged VAT is S, no VAT is not subject.
    return "S" if line.tax_rate > 0 else "O"


def _groups(
    invoice: Invoice, lines: Sequence[InvoiceLine], zone: str
) -> tuple[list[Line], list[Group], int]:
    """The document's lines, in the invoice's order, and its VAT breakdown; returns the
    lines' total (BT-106) too."""
    stored = {Decimal(t["rate"]): (int(t["net"]), int(t["tax"])) for t in invoice.tax_lines}
    by_key: dict[tuple[str, Decimal], list[InvoiceLine]] = defaultdict(list)
    for line in lines:
        by_key[(_category(line), Decimal(line.tax_rate))].append(line)
    per_rate: dict[Decimal, list[tuple[str, Decimal]]] = defaultdict(list)
    for key in by_key:
        per_rate[key[1]].append(key)
    place = {id(line): n for n, line in enumerate(lines)}
    out_lines: list[tuple[int, Line]] = []
    groups: list[Group] = []
    total = 0
    for rate in sorted(per_rate):
        keys = sorted(per_rate[rate])
        net, tax = stored.get(rate, (0, 0))
        # Several categories at one rate (0 %) share its net by what their lines add.
        weights = [sum(x.amount - x.discount_amount for x in by_key[k]) for k in keys]
        shares = _split(net, weights)
        for key, share in zip(keys, shares, strict=True):
            members = by_key[key]
            first = members[0]
            group = Group(key[0], rate, exemption_code=first.tax_exemption_code)
            group.exemption_key = first.tax_exemption_key
            group.taxable = share
            group.tax = tax if key == keys[-1] else 0
            gross_discount = sum(x.discount_amount for x in members)
            if invoice.tax_inclusive:
                group.discount = _net_of(gross_discount, rate) if rate else gross_discount
                nets = _split(share + group.discount, [x.amount for x in members])
            else:
                group.discount = gross_discount
                nets = [x.amount for x in members]
            for member, amount in zip(members, nets, strict=True):
                made = Line(
                    member.description,
                    Decimal(member.quantity),
                    amount,
                    key[0],
                    rate,
                    _period(member, zone),
                )
                out_lines.append((place[id(member)], made))
                total += amount
            groups.append(group)
    return [line for _, line in sorted(out_lines, key=lambda x: x[0])], groups, total


def _period(line: InvoiceLine, zone: str) -> tuple[date, date] | None:
    if line.period_start is None or line.period_end is None:
        return None
    return _day(line.period_start, zone), _day(line.period_end, zone)


def _split(total: int, weights: Sequence[int]) -> list[int]:
    """`total` shared in proportion to signed `weights`, each rounded, the remainder of
    rounding on the largest: the shares add up to `total` exactly."""
    if not weights:
        return []
    whole = sum(weights)
    if whole == 0:
        shares = [0] * len(weights)
    else:
        shares = [round_fraction(Fraction(total * w, whole)) for w in weights]
    biggest = max(range(len(weights)), key=lambda i: abs(weights[i]))
    shares[biggest] += total - sum(shares)
    return shares


def invoice_document(
    account: Account, customer: Customer, invoice: Invoice, lines: Sequence[InvoiceLine]
) -> Document:
    """What the e-invoice of a finalised invoice says."""
    assert invoice.number is not None
    assert invoice.finalized_at is not None
    doc_lines, groups, line_total = _groups(invoice, lines, account.timezone)
    categories = {g.category for g in groups}
    zone = account.timezone
    issued = _day(invoice.finalized_at, zone)
    period = None
    if invoice.period_start is not None and invoice.period_end is not None:
        period = (_day(invoice.period_start, zone), _day(invoice.period_end, zone))
    doc = Document(
        credit_note=False,
        number=invoice.number,
        issue_date=issued,
        currency=invoice.currency,
        seller=_seller(account, categories),
        buyer=_buyer(customer, categories),
        lines=doc_lines,
        groups=groups,
        discount_reason="; ".join(d["description"] for d in invoice.discounts)
        or _text("einvoice.discount"),
        line_total=line_total,
        discount_total=sum(g.discount for g in groups),
        tax_total=invoice.tax_total,
        total=invoice.total,
        prepaid=invoice.credit_applied,
        due=invoice.total - invoice.credit_applied,
        due_date=_day(invoice.due_at, zone) if invoice.due_at else issued,
        period=period,
        notes=_notes(lines),
        payment_id=invoice.payment_reference,
        tax_currency=invoice.tax_currency,
        tax_total_in_tax_currency=invoice.tax_total_in_tax_currency,
    )
    _delivery(doc, lines, zone)
    _payment(doc, account, invoice.collection_method)
    return doc


def credit_note_document(
    account: Account,
    customer: Customer,
    note: CreditNote,
    invoice: Invoice,
    lines: Sequence[InvoiceLine],
) -> Document:
    """What the e-invoice of a credit note says: one line per VAT category and rate of
    the invoice it corrects, which it names (BT-25, BT-26). The credit note keeps what it
    credits per rate; where the invoice had several categories at one rate (0 %: goods to
    another member state and a reverse-charged service), the rate's credit is shared
    between them as the invoice's lines there share its net."""
    assert invoice.number is not None
    assert invoice.finalized_at is not None
    zone = account.timezone
    by_rate: dict[Decimal, dict[str, list[InvoiceLine]]] = defaultdict(dict)
    for line in lines:
        by_rate[Decimal(line.tax_rate)].setdefault(_category(line), []).append(line)
    doc_lines: list[Line] = []
    groups: list[Group] = []
    for credited in note.lines:
        rate = Decimal(credited["tax_rate"])
        found = by_rate.get(rate)
        label = _text("einvoice.credit_for", number=invoice.number)
        if not found:
            category = "S" if rate else "O"
            doc_lines.append(Line(label, Decimal(1), int(credited["net"]), category, rate))
            groups.append(Group(category, rate, int(credited["net"]), int(credited["tax"])))
            continue
        keys = sorted(found)
        weights = [sum(x.amount - x.discount_amount for x in found[k]) for k in keys]
        nets = _split(int(credited["net"]), weights)
        taxes = _split(int(credited["tax"]), weights)
        for key, net, tax in zip(keys, nets, taxes, strict=True):
            source = found[key][0]
            doc_lines.append(Line(f"{label}: {source.description}", Decimal(1), net, key, rate))
            group = Group(key, rate, net, tax)
            group.exemption_code = source.tax_exemption_code
            group.exemption_key = source.tax_exemption_key
            groups.append(group)
    categories = {g.category for g in groups}
    doc = Document(
        credit_note=True,
        number=note.number,
        issue_date=_day(note.created_at, zone),
        currency=note.currency,
        seller=_seller(account, categories),
        buyer=_buyer(customer, categories),
        lines=doc_lines,
        groups=groups,
        discount_reason="",
        line_total=note.subtotal,
        discount_total=0,
        tax_total=note.tax_total,
        total=note.total,
        prepaid=0,
        due=note.total,
        notes=_notes(lines) + ([note.memo] if note.memo else []),
        invoice_reference=(invoice.number, _day(invoice.finalized_at, zone)),
        tax_currency=note.tax_currency,
        tax_total_in_tax_currency=note.tax_total_in_tax_currency,
    )
    _delivery(doc, lines, zone)
    _payment(doc, account, "send_invoice")
    return doc


def _goods_abroad(doc: Document, lines: Sequence[InvoiceLine]) -> bool:
    """Whether the document's goods cross into another member state: an intra-community
    supply (K), or goods to a buyer there decided otherwise - a company whose VAT number
    VIES has not confirmed (yet) is charged VAT, and its goods are shipped all the same."""
    if "K" in {g.category for g in doc.groups}:
        return True
    abroad = doc.buyer.country in EU_COUNTRIES and doc.buyer.country != doc.seller.country
    return abroad and any(line.supply_nature == Nature.GOODS for line in lines)


def _delivery(doc: Document, lines: Sequence[InvoiceLine], zone: str) -> None:
    """Goods sent to another member state say where they go, the buyer's address (the
    only one Recura knows), and when: the invoicing period, from the lines' periods
    where the document has none. EN 16931 asks it of an intra-community supply (BR-IC-11,
    BR-IC-12); goods charged VAT because the buyer's VAT number is not confirmed cross the
    same border and wait for the same address: CIUS-RO refuses a document whose buyer has
    no street or city (BR-RO-082, BR-RO-092), and a refused one is never made again. A
    credit note takes those of the invoice it corrects."""
    if not _goods_abroad(doc, lines):
        return
    # CIUS-RO wants a delivery address's street, city and subdivision (BR-RO-200, 201, 211).
    address = doc.buyer.address
    needed = {"line1": address.get("line1"), "city": address.get("city")}
    needed["region"] = address.get("county") or address.get("region")
    missing = [name for name, value in needed.items() if not str(value or "").strip()]
    if missing:
        raise NoDelivery(missing)
    doc.deliver_to = doc.buyer
    spans = [p for p in (_period(line, zone) for line in lines) if p is not None]
    if doc.period is None and spans:
        doc.period = (min(s[0] for s in spans), max(s[1] for s in spans))


def _payment(doc: Document, account: Account, method: str) -> None:
    if method == "charge_automatically":
        doc.payment_code = "48"  # bank card
    elif account.iban:
        doc.payment_code = "30"  # credit transfer, to the account's IBAN
        doc.iban = account.iban
        doc.bic = account.bic


def _notes(lines: Sequence[InvoiceLine]) -> list[str]:
    """The VAT mentions the lines' decisions call for, once each, in the document's words."""
    keys: list[str] = []
    for line in lines:
        for key in [line.tax_exemption_key, *(line.tax_notes or [])]:
            if key and key not in keys:
                keys.append(key)
    return [_text(k)[:NOTE_MAX] for k in keys]


# --- XML ---------------------------------------------------------------------------


def _amount(minor: int, currency: str) -> str:
    places = exponent(currency)
    return f"{Decimal(minor).scaleb(-places):.{places}f}"


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


class _Builder:
    def __init__(self, root: etree._Element, currency: str) -> None:
        self.root = root
        self.currency = currency

    def cbc(self, parent: etree._Element, name: str, text: str, **attrs: str) -> etree._Element:
        node = etree.SubElement(parent, f"{{{CBC}}}{name}", attrs)
        node.text = text
        return node

    def cac(self, parent: etree._Element, name: str) -> etree._Element:
        return etree.SubElement(parent, f"{{{CAC}}}{name}")

    def money(self, parent: etree._Element, name: str, minor: int) -> etree._Element:
        return self.cbc(parent, name, _amount(minor, self.currency), currencyID=self.currency)


def build(doc: Document) -> bytes:
    """The document as UBL 2.1 XML (UTF-8, with its declaration)."""
    ns = CREDIT_NOTE_NS if doc.credit_note else INVOICE_NS
    root = etree.Element(
        f"{{{ns}}}{'CreditNote' if doc.credit_note else 'Invoice'}",
        nsmap={None: ns, "cac": CAC, "cbc": CBC},
    )
    b = _Builder(root, doc.currency)
    b.cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    b.cbc(root, "ID", doc.number)
    b.cbc(root, "IssueDate", doc.issue_date.isoformat())
    if not doc.credit_note and doc.due_date is not None:
        b.cbc(root, "DueDate", doc.due_date.isoformat())
    b.cbc(
        root,
        "CreditNoteTypeCode" if doc.credit_note else "InvoiceTypeCode",
        "381" if doc.credit_note else "380",
    )
    for note in doc.notes[:20]:
        b.cbc(root, "Note", note)
    b.cbc(root, "DocumentCurrencyCode", doc.currency)
    if doc.tax_currency is not None:
        b.cbc(root, "TaxCurrencyCode", doc.tax_currency)
    if doc.period is not None:
        period = b.cac(root, "InvoicePeriod")
        b.cbc(period, "StartDate", doc.period[0].isoformat())
        b.cbc(period, "EndDate", doc.period[1].isoformat())
    if doc.invoice_reference is not None:
        reference = b.cac(b.cac(root, "BillingReference"), "InvoiceDocumentReference")
        b.cbc(reference, "ID", doc.invoice_reference[0])
        b.cbc(reference, "IssueDate", doc.invoice_reference[1].isoformat())
    _party(b, b.cac(root, "AccountingSupplierParty"), doc.seller, seller=True)
    _party(b, b.cac(root, "AccountingCustomerParty"), doc.buyer, seller=False)
    if doc.deliver_to is not None:
        place = b.cac(b.cac(root, "Delivery"), "DeliveryLocation")
        _address(b, b.cac(place, "Address"), doc.deliver_to)
    means = b.cac(root, "PaymentMeans")
    b.cbc(means, "PaymentMeansCode", doc.payment_code)
    if doc.payment_id:
        b.cbc(means, "PaymentID", doc.payment_id)
    if doc.iban:
        account = b.cac(means, "PayeeFinancialAccount")
        b.cbc(account, "ID", doc.iban)
        if doc.bic:
            b.cbc(b.cac(account, "FinancialInstitutionBranch"), "ID", doc.bic)
    for group in doc.groups:
        if group.discount:
            allowance = b.cac(root, "AllowanceCharge")
            b.cbc(allowance, "ChargeIndicator", "false")
            b.cbc(allowance, "AllowanceChargeReason", doc.discount_reason[:DESCRIPTION_MAX])
            b.money(allowance, "Amount", group.discount)
            _category_node(b, allowance, group.category, group.rate)
    tax_total = b.cac(root, "TaxTotal")
    b.money(tax_total, "TaxAmount", doc.tax_total)
    for group in doc.groups:
        sub = b.cac(tax_total, "TaxSubtotal")
        b.money(sub, "TaxableAmount", group.taxable)
        b.money(sub, "TaxAmount", group.tax)
        category = _category_node(b, sub, group.category, group.rate)
        if group.category in ZERO_RATED:
            scheme = category[-1]
            category.remove(scheme)
            b.cbc(category, "TaxExemptionReasonCode", group.exemption_code or _vatex(group))
            if group.exemption_key:
                b.cbc(category, "TaxExemptionReason", _text(group.exemption_key)[:NOTE_MAX])
            category.append(scheme)
    if doc.tax_currency is not None and doc.tax_total_in_tax_currency is not None:
        other = b.cac(root, "TaxTotal")
        amount = _amount(doc.tax_total_in_tax_currency, doc.tax_currency)
        b.cbc(other, "TaxAmount", amount, currencyID=doc.tax_currency)
    totals = b.cac(root, "LegalMonetaryTotal")
    b.money(totals, "LineExtensionAmount", doc.line_total)
    b.money(totals, "TaxExclusiveAmount", doc.line_total - doc.discount_total)
    b.money(totals, "TaxInclusiveAmount", doc.line_total - doc.discount_total + doc.tax_total)
    if doc.discount_total:
        b.money(totals, "AllowanceTotalAmount", doc.discount_total)
    if doc.prepaid:
        b.money(totals, "PrepaidAmount", doc.prepaid)
    b.money(totals, "PayableAmount", doc.due)
    for position, line in enumerate(doc.lines, start=1):
        _line(b, root, position, line, doc.credit_note)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _vatex(group: Group) -> str:
    return f"VATEX-EU-{group.category}" if group.category != "Z" else "VATEX-EU-O"


def _category_node(
    b: _Builder, parent: etree._Element, category: str, rate: Decimal, name: str = "TaxCategory"
) -> etree._Element:
    node = b.cac(parent, name)
    b.cbc(node, "ID", category)
    if category != "O":
        b.cbc(node, "Percent", _number(rate))
    b.cbc(b.cac(node, "TaxScheme"), "ID", "VAT")
    return node


def _address(b: _Builder, address: etree._Element, party: Party) -> None:
    """The party's address (BG-5, BG-8, BG-15), as CIUS-RO wants it written."""
    data = party.address
    country = str(data.get("country") or party.country).upper()
    county = str(data.get("county") or "").upper() or None
    if data.get("line1"):
        b.cbc(address, "StreetName", str(data["line1"])[:LINE_MAX])
    if data.get("line2"):
        b.cbc(address, "AdditionalStreetName", str(data["line2"])[:LINE_MAX])
    city = str(data.get("city") or "")
    if country == ROMANIA and county == BUCHAREST and data.get("sector"):
        # CIUS-RO: in Bucharest the city is the sector (BR-RO-100).
        city = f"SECTOR{int(data['sector'])}"
    if city:
        b.cbc(address, "CityName", city[:DESCRIPTION_MAX])
    if data.get("postal_code"):
        b.cbc(address, "PostalZone", str(data["postal_code"]))
    region = county or (str(data["region"]) if data.get("region") else None)
    if region:
        b.cbc(address, "CountrySubentity", region[:DESCRIPTION_MAX])
    b.cbc(b.cac(address, "Country"), "IdentificationCode", country)


def _party(b: _Builder, parent: etree._Element, party: Party, *, seller: bool) -> None:
    node = b.cac(parent, "Party")
    b.cbc(b.cac(node, "PartyName"), "Name", party.legal_name[:NAME_MAX])
    _address(b, b.cac(node, "PostalAddress"), party)
    if party.vat_id:
        scheme = b.cac(node, "PartyTaxScheme")
        b.cbc(scheme, "CompanyID", party.vat_id)
        b.cbc(b.cac(scheme, "TaxScheme"), "ID", "VAT")
    if seller and party.tax_id and not party.vat_id:
        scheme = b.cac(node, "PartyTaxScheme")
        b.cbc(scheme, "CompanyID", party.tax_id)
        b.cbc(b.cac(scheme, "TaxScheme"), "ID", "FC")
    entity = b.cac(node, "PartyLegalEntity")
    b.cbc(entity, "RegistrationName", party.legal_name[:NAME_MAX])
    if party.legal_id:
        b.cbc(entity, "CompanyID", party.legal_id)
    if party.legal_form:
        b.cbc(entity, "CompanyLegalForm", party.legal_form)
    if party.email and not seller:
        b.cbc(b.cac(node, "Contact"), "ElectronicMail", party.email)


def _line(b: _Builder, root: etree._Element, position: int, line: Line, credit: bool) -> None:
    node = b.cac(root, "CreditNoteLine" if credit else "InvoiceLine")
    b.cbc(node, "ID", str(position))
    quantity = line.quantity if line.quantity != 0 else Decimal(1)
    # A credit line (negative amount) has a negative quantity: the price stays positive (BR-27).
    if (line.net < 0) != (quantity < 0):
        quantity = -quantity
    b.cbc(
        node, "CreditedQuantity" if credit else "InvoicedQuantity", _number(quantity), unitCode=UNIT
    )
    b.money(node, "LineExtensionAmount", line.net)
    if line.period is not None:
        period = b.cac(node, "InvoicePeriod")
        b.cbc(period, "StartDate", line.period[0].isoformat())
        b.cbc(period, "EndDate", line.period[1].isoformat())
    item = b.cac(node, "Item")
    b.cbc(item, "Name", line.description[:DESCRIPTION_MAX] or "-")
    _category_node(b, item, line.category, line.rate, "ClassifiedTaxCategory")
    price = Decimal(line.net).scaleb(-exponent(b.currency)) / quantity
    b.cbc(b.cac(node, "Price"), "PriceAmount", _number(round(abs(price), 6)), currencyID=b.currency)
