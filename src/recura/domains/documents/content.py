"""What the PDF of an invoice or credit note says, read from the rows as issued and put in
the reader's words: every mention art. 319 (20) of the Romanian Fiscal Code asks of an
invoice (series and number, issue date, supply date or period, both parties, each line's
quantity and unit price without VAT, the base and VAT of each rate, the VAT in lei of a
document in another currency, the reverse-charge or exemption wording), the merchant's logo
and bank account, and, while a transfer is awaited, its reference and EPC QR code.

Everything here is plain values, so that rendering needs no database.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import segno
from babel.dates import format_date
from babel.numbers import format_decimal

from recura import i18n
from recura.core import epc
from recura.core.money import exponent
from recura.db.models import Account, AccountLogo, CreditNote, Customer, Invoice, InvoiceLine
from recura.domains.documents import parties
from recura.domains.documents.parties import Party, amount, rate_text
from recura.domains.invoices.issuing import SEND_INVOICE
from recura.gateways.bank_transfer import references

DOMAIN = "invoices"
DASH, MINUS = "\u2013", "\u2212"  # as typeset: a range, a negative amount


@dataclass(frozen=True, slots=True)
class Line:
    position: int
    description: str
    period: str | None
    quantity: str
    unit_price: str
    value: str
    rate: str


@dataclass(frozen=True, slots=True)
class Total:
    label: str
    amount: str
    strong: bool = False


@dataclass(frozen=True, slots=True)
class Payment:
    beneficiary: str
    iban: str
    bic: str | None
    reference: str
    amount: str
    qr_svg: str | None  # a data: URI, for a transfer in euro


@dataclass(frozen=True, slots=True)
class Document:
    """One invoice or credit note as its PDF prints it, in `locale`."""

    kind: str  # "invoice" | "credit_note"
    locale: str
    title: str
    series: str | None
    number: str
    currency: str
    issued: str
    supply: tuple[str, str] | None  # (label, date or period)
    due: str | None
    seller: Party
    buyer: Party
    lines: list[Line]
    vat_rows: list[tuple[str, str, str]]  # (rate, base, VAT)
    totals: list[Total]
    vat_in_tax_currency: str | None
    mentions: list[str]
    corrects: str | None = None
    memo: str | None = None
    payment: Payment | None = None
    logo: str | None = None  # a data: URI
    words: dict[str, str] = field(default_factory=dict)


def words(locale: str) -> dict[str, str]:
    """The catalog's `pdf.*` texts, for the template."""
    catalog = {**i18n.catalog(DOMAIN, i18n.SOURCE), **i18n.catalog(DOMAIN, locale)}
    return {k[4:]: v for k, v in catalog.items() if k.startswith("pdf.")}


def _t(key: str, locale: str, **values: object) -> str:
    return i18n.text(DOMAIN, key, locale, **values)


def _day(at: datetime | date, locale: str, timezone: str) -> str:
    on = at.astimezone(ZoneInfo(timezone)).date() if isinstance(at, datetime) else at
    return str(format_date(on, "long", locale=locale))


def issue_day(at: datetime, timezone: str) -> date:
    return at.astimezone(ZoneInfo(timezone)).date()


def _logo(logo: AccountLogo | None) -> str | None:
    if logo is None:
        return None
    return f"data:{logo.content_type};base64,{base64.b64encode(logo.data).decode()}"


def _unit_net(unit: Decimal, rate: Decimal, inclusive: bool) -> Decimal:
    return unit * 100 / (100 + rate) if inclusive else unit


def _minor_text(minor: Decimal, currency: str, locale: str) -> str:
    """A unit price, which may hold fractions of a minor unit: at least the currency's
    decimals, at most four more."""
    places = exponent(currency)
    major = minor.scaleb(-places)
    quantum = Decimal(1).scaleb(-(places + 4))
    shown = major.quantize(quantum, rounding=ROUND_HALF_UP).normalize()
    decimals = max(places, -int(shown.as_tuple().exponent))
    pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
    return str(format_decimal(shown, format=pattern, locale=locale))


def _mentions(lines: list[InvoiceLine], locale: str) -> list[str]:
    keys: list[str] = []
    for line in lines:
        for key in [line.tax_exemption_key, *(line.tax_notes or [])]:
            if key and key not in keys:
                keys.append(key)
    return [_t(key, locale) for key in keys]


def _period(start: datetime | None, end: datetime | None, locale: str, tz: str) -> str | None:
    if start is None or end is None:
        return None
    return f"{_day(start, locale, tz)} {DASH} {_day(end, locale, tz)}"


def _vat_in(doc: Invoice | CreditNote, account: Account, locale: str, issued: str) -> str | None:
    if doc.tax_currency is None or doc.tax_total_in_tax_currency is None:
        return None
    assert doc.tax_exchange_rate is not None
    return _t(
        "pdf.vat_in_currency",
        locale,
        currency=doc.tax_currency,
        amount=amount(doc.tax_total_in_tax_currency, doc.tax_currency, locale),
        document_currency=doc.currency,
        rate=format_decimal(doc.tax_exchange_rate, format="#,##0.##########", locale=locale),
        date=issued,
    )


def _payment(account: Account, invoice: Invoice, seller: Party, locale: str) -> Payment | None:
    """How to pay by transfer, for an invoice sent to be paid so. The PDF is the invoice
    as issued, whenever it is made: what was paid since is not its business."""
    if invoice.collection_method != SEND_INVOICE or invoice.amount_due <= 0:
        return None
    if not invoice.payment_reference or not seller.iban:
        return None
    due = invoice.amount_due
    qr = None
    if invoice.currency == "EUR":
        text = epc.payload(
            account.legal_name, seller.iban, seller.bic, due, invoice.payment_reference
        )
        if text is not None:
            code = segno.make_qr(text.encode(), error="m", boost_error=False)
            qr = code.svg_data_uri(scale=4, border=4)
    return Payment(
        beneficiary=account.legal_name,
        iban=" ".join(seller.iban[i : i + 4] for i in range(0, len(seller.iban), 4)),
        bic=seller.bic,
        reference=references.display(invoice.payment_reference),
        amount=amount(due, invoice.currency, locale),
        qr_svg=qr,
    )


def of_invoice(
    account: Account,
    customer: Customer,
    invoice: Invoice,
    lines: list[InvoiceLine],
    logo: AccountLogo | None,
    locale: str,
) -> Document:
    tz, cur = account.timezone, invoice.currency
    issued_at = invoice.finalized_at or invoice.created_at
    issued = _day(issued_at, locale, tz)
    seller = parties.seller(account, locale, cur)
    shown: list[Line] = []
    for line in lines:
        rate = Decimal(line.tax_rate)
        unit = line.unit_amount
        if unit is None:
            unit = Decimal(line.amount) / line.quantity if line.quantity else Decimal(line.amount)
        net_value = Decimal(line.amount)
        if invoice.tax_inclusive:
            net_value = (net_value * 100 / (100 + rate)).quantize(Decimal(1), ROUND_HALF_UP)
        shown.append(
            Line(
                position=len(shown) + 1,
                description=line.description,
                period=_period(line.period_start, line.period_end, locale, tz),
                quantity=str(format_decimal(line.quantity.normalize(), locale=locale)),
                unit_price=_minor_text(_unit_net(unit, rate, invoice.tax_inclusive), cur, locale),
                value=_minor_text(net_value, cur, locale),
                rate=f"{rate_text(rate.normalize(), locale)}%",
            )
        )
    vat_rows = [
        (f"{t.rate}%", amount(t.net, cur, locale), amount(t.tax, cur, locale))
        for t in parties.tax_lines(invoice, locale)
    ]
    net = sum(t.net for t in parties.tax_lines(invoice, locale))
    totals = []
    if invoice.discounts:
        for d in invoice.discounts:
            text = _t("pdf.discount", locale, description=d.get("description", ""))
            totals.append(Total(text, MINUS + amount(int(d.get("amount", 0)), cur, locale)))
    totals += [
        Total(_t("pdf.subtotal", locale), amount(net, cur, locale)),
        Total(_t("pdf.total_vat", locale), amount(invoice.tax_total, cur, locale)),
        Total(_t("pdf.total", locale), amount(invoice.total, cur, locale), strong=True),
    ]
    if invoice.credit_applied:
        credit = MINUS + amount(invoice.credit_applied, cur, locale)
        totals.append(Total(_t("pdf.credit_applied", locale), credit))
    period = _period(invoice.period_start, invoice.period_end, locale, tz)
    supply = (
        (_t("pdf.supply_period", locale), period)
        if period
        else (_t("pdf.supply_date", locale), issued)
    )
    mentions = _mentions(lines, locale)
    if invoice.tax_inclusive:
        mentions.append(_t("pdf.tax_inclusive", locale))
    return Document(
        kind="invoice",
        locale=locale,
        title=_t("pdf.invoice", locale),
        series=invoice.series,
        number=invoice.number or invoice.id,
        currency=cur,
        issued=issued,
        supply=supply,
        due=_day(invoice.due_at, locale, tz) if invoice.due_at else None,
        seller=seller,
        buyer=parties.buyer(customer, locale),
        lines=shown,
        vat_rows=vat_rows,
        totals=totals,
        vat_in_tax_currency=_vat_in(invoice, account, locale, issued),
        mentions=mentions,
        payment=_payment(account, invoice, seller, locale),
        logo=_logo(logo),
        words=words(locale),
    )


def of_credit_note(
    account: Account,
    customer: Customer,
    note: CreditNote,
    invoice: Invoice,
    invoice_lines: list[InvoiceLine],
    logo: AccountLogo | None,
    locale: str,
) -> Document:
    """A credit note credits its invoice per VAT rate: one line per rate credited, the
    invoice's mentions kept (a reverse-charged invoice's credit is reverse-charged too)."""
    tz, cur = account.timezone, note.currency
    issued = _day(note.created_at, locale, tz)
    invoice_day = _day(invoice.finalized_at or invoice.created_at, locale, tz)
    lines, vat_rows = [], []
    for i, entry in enumerate(note.lines, start=1):
        rate = rate_text(entry.get("tax_rate", "0"), locale)
        net, tax = int(entry.get("net", 0)), int(entry.get("tax", 0))
        description = _t("pdf.credit_line", locale, number=invoice.number or invoice.id)
        lines.append(
            Line(
                i,
                description,
                None,
                "1",
                _minor_text(Decimal(net), cur, locale),
                _minor_text(Decimal(net), cur, locale),
                f"{rate}%",
            )
        )
        vat_rows.append((f"{rate}%", amount(net, cur, locale), amount(tax, cur, locale)))
    totals = [
        Total(_t("pdf.subtotal", locale), amount(note.subtotal, cur, locale)),
        Total(_t("pdf.total_vat", locale), amount(note.tax_total, cur, locale)),
        Total(_t("pdf.credit_total", locale), amount(note.total, cur, locale), strong=True),
    ]
    period = _period(invoice.period_start, invoice.period_end, locale, tz)
    return Document(
        kind="credit_note",
        locale=locale,
        title=_t("pdf.credit_note", locale),
        series=None,
        number=note.number,
        currency=cur,
        issued=issued,
        supply=(_t("pdf.supply_period", locale), period) if period else None,
        due=None,
        seller=parties.seller(account, locale, cur),
        buyer=parties.buyer(customer, locale),
        lines=lines,
        vat_rows=vat_rows,
        totals=totals,
        vat_in_tax_currency=_vat_in(note, account, locale, issued),
        mentions=_mentions(invoice_lines, locale),
        corrects=_t("pdf.corrects", locale, number=invoice.number or invoice.id, date=invoice_day),
        memo=_t("pdf.memo", locale, memo=note.memo) if note.memo else None,
        logo=_logo(logo),
        words=words(locale),
    )
