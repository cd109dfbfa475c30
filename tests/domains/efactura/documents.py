"""Test-only e-invoices: a minimal UBL document made from a real invoice's number, date
and totals, and its `einvoices` row, as the UBL builder will make them. ANAF's fake reads
only the root element and the number; no EN 16931 or CIUS-RO rule is checked here."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import EInvoice, Invoice
from recura.db.unit_of_work import unit_of_work
from recura.ids import new_id

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:efactura.mfinante.ro:CIUS-RO:1.0.1"


def minimal_ubl(number: str, issued: date, currency: str, total: int) -> bytes:
    amount = f"{total / 100:.2f}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Invoice xmlns="{INVOICE_NS}" xmlns:cbc="{CBC}">'
        f"<cbc:CustomizationID>{CUSTOMIZATION}</cbc:CustomizationID>"
        f"<cbc:ID>{number}</cbc:ID><cbc:IssueDate>{issued.isoformat()}</cbc:IssueDate>"
        "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>"
        f"<cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>"
        f'<cbc:PayableAmount currencyID="{currency}">{amount}</cbc:PayableAmount>'
        "</Invoice>"
    ).encode()


def add_einvoice(
    factory: sessionmaker[Session],
    account_id: str,
    invoice_id: str,
    now: datetime,
    *,
    deadline: date | None = None,
    state: str = "pending",
) -> str:
    with unit_of_work(factory) as session:
        invoice = session.get(Invoice, (account_id, invoice_id))
        assert invoice is not None
        assert invoice.number is not None
        xml = minimal_ubl(
            invoice.number, invoice.created_at.date(), invoice.currency, invoice.total
        )
        row = EInvoice(
            id=new_id("einvoice"),
            account_id=account_id,
            livemode=invoice.livemode,
            created_at=now,
            invoice_id=invoice_id,
            type_code="380",
            xml=xml if state != "invalid" else None,
            sha256=hashlib.sha256(xml).hexdigest(),
            findings=[],
            state=state,
            validated_at=now if state != "invalid" else None,
            deadline=deadline,
            anaf_messages=[],
            attempts=0,
            updated_at=now,
        )
        session.add(row)
        return row.id


def row(factory: sessionmaker[Session], account_id: str, einvoice_id: str) -> EInvoice:
    with unit_of_work(factory) as session:
        found = session.get(EInvoice, (account_id, einvoice_id))
        assert found is not None
        session.expunge(found)
        return found
