from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from recura.domains.common.fields import MAX_MINOR, MoneyOut, Schema, example, example_in

M = {"currency": "RON"}
LINE_EXAMPLE: dict[str, object] = {
    "description": "Pro",
    "kind": "subscription",
    "quantity": "3",
    "unit_amount": "4900",
    "amount": {"amount": 14700, **M},
    "discount_amount": {"amount": 2940, **M},
    "tax_rate": "21",
    "tax_category": "S",
    "tax_exemption_code": None,
    "tax_notes": [],
    "period_start": "2026-02-01T00:00:00Z",
    "period_end": "2026-03-01T00:00:00Z",
    "proration": False,
}
TAX_EXAMPLE = {
    "rate": "21",
    "taxable_amount": {"amount": 11760, **M},
    "tax_amount": {"amount": 2470, **M},
}
TOTALS_EXAMPLE = {
    "currency": "RON",
    "lines": [LINE_EXAMPLE],
    "subtotal": {"amount": 14700, **M},
    "discounts": [{"description": "Welcome 20%", "amount": {"amount": 2940, **M}}],
    "discount_total": {"amount": 2940, **M},
    "tax_lines": [TAX_EXAMPLE],
    "tax_total": {"amount": 2470, **M},
    "tax_inclusive": False,
    "total": {"amount": 14230, **M},
    "credit_applied": {"amount": 0, **M},
    "amount_due": {"amount": 14230, **M},
}


class InvoiceLineOut(BaseModel):
    model_config = example(LINE_EXAMPLE)

    description: str
    kind: str
    quantity: Decimal
    unit_amount: Decimal | None
    amount: MoneyOut
    discount_amount: MoneyOut
    tax_rate: Decimal
    tax_category: str | None = Field(
        default=None,
        description="EN 16931 VAT category: S standard, AE reverse charge, O not subject, "
        "E exempt, K intra-Community supply, G export (null on lines from before it was kept).",
    )
    tax_exemption_code: str | None = Field(
        default=None, description="VATEX reason when no VAT is charged (VATEX-EU-AE, ...)."
    )
    tax_notes: list[str] = Field(
        default_factory=list,
        description="Why VAT is charged as it is, as the invoice says it: vat_id_unchecked "
        "(VIES could not confirm the customer's VAT number), vat_id_invalid (VIES found it "
        "invalid), destination_services / destination_goods (the customer's country's rate).",
    )
    period_start: datetime | None
    period_end: datetime | None
    proration: bool


class TaxLineOut(BaseModel):
    """The VAT breakdown for one rate: `taxable_amount` excludes the tax, also when prices
    include it (49.00 including 21 % is 40.50 taxable and 8.50 tax)."""

    model_config = example(TAX_EXAMPLE)

    rate: Decimal
    taxable_amount: MoneyOut
    tax_amount: MoneyOut


class DiscountAmountOut(BaseModel):
    model_config = example({"description": "Welcome 20%", "amount": {"amount": 2940, **M}})

    description: str
    amount: MoneyOut


class InvoiceTotals(BaseModel):
    """What an invoice (or a preview of one) charges; total = subtotal - discounts + tax
    (tax-exclusive prices) or subtotal - discounts (tax-inclusive)."""

    currency: str
    lines: list[InvoiceLineOut]
    subtotal: MoneyOut
    discounts: list[DiscountAmountOut]
    discount_total: MoneyOut
    tax_lines: list[TaxLineOut]
    tax_total: MoneyOut
    tax_inclusive: bool
    total: MoneyOut
    credit_applied: MoneyOut
    amount_due: MoneyOut


class InvoicePreviewOut(InvoiceTotals):
    model_config = example({"object": "invoice_preview", **TOTALS_EXAMPLE})

    object: Literal["invoice_preview"] = "invoice_preview"


INVOICE_EXAMPLE = {
    "object": "invoice",
    "id": "inv_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "number": "NDT-000042",
    "status": "open",
    "reason": "subscription_cycle",
    "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "subscription": "sub_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "period_start": "2026-02-01T00:00:00Z",
    "period_end": "2026-03-01T00:00:00Z",
    **TOTALS_EXAMPLE,
    "amount_paid": {"amount": 0, **M},
    "amount_credited": {"amount": 0, **M},
    "amount_remaining": {"amount": 14230, **M},
    "collection_method": "charge_automatically",
    "due_at": None,
    "attempt_count": 1,
    "next_payment_attempt": None,
    "payment_reference": None,
    "finalized_at": "2026-02-01T00:00:03Z",
    "paid_at": None,
    "voided_at": None,
    "livemode": False,
    "created_at": "2026-02-01T00:00:03Z",
}


class InvoiceOut(InvoiceTotals):
    model_config = example(INVOICE_EXAMPLE)

    object: Literal["invoice"] = "invoice"
    id: str
    number: str | None
    status: str
    reason: str
    customer: str
    subscription: str | None
    period_start: datetime | None
    period_end: datetime | None
    amount_paid: MoneyOut
    amount_credited: MoneyOut
    amount_remaining: MoneyOut
    collection_method: str
    due_at: datetime | None
    # Charges made so far, and when the next one is planned (null: none is).
    attempt_count: int
    next_payment_attempt: datetime | None
    # Sent invoices: the ISO 11649 reference a bank transfer quotes (to the account's IBAN).
    payment_reference: str | None
    finalized_at: datetime | None
    paid_at: datetime | None
    voided_at: datetime | None
    livemode: bool
    created_at: datetime


CreditReason = Literal[
    "duplicate", "fraudulent", "order_change", "product_unsatisfactory", "goodwill", "other"
]


class CreditNoteCreate(Schema):
    model_config = example_in(
        {"invoice": "inv_01JD3Q4W5E6R7T8Y9U0I1O2P3A", "reason": "duplicate"},
        {
            "invoice": "inv_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "amount": 2965,
            "reason": "product_unsatisfactory",
            "memo": "Half of March: the export was down for two weeks.",
        },
    )

    invoice: str = Field(max_length=40)
    amount: int | None = Field(
        default=None,
        ge=1,
        le=MAX_MINOR,
        description="Minor units, tax included; omitted: whatever is left to credit.",
    )
    reason: CreditReason = "other"
    memo: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


CREDIT_LINE_EXAMPLE = {
    "tax_rate": "21",
    "net_amount": {"amount": 2450, **M},
    "tax_amount": {"amount": 515, **M},
}


class CreditNoteLineOut(BaseModel):
    model_config = example(CREDIT_LINE_EXAMPLE)

    tax_rate: Decimal
    net_amount: MoneyOut
    tax_amount: MoneyOut


class CreditNoteOut(BaseModel):
    model_config = example(
        {
            "object": "credit_note",
            "id": "cn_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "number": "NDTCN-000003",
            "invoice": "inv_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "currency": "RON",
            "lines": [CREDIT_LINE_EXAMPLE],
            "subtotal": {"amount": 2450, **M},
            "tax_total": {"amount": 515, **M},
            "total": {"amount": 2965, **M},
            "applied_to_invoice": {"amount": 0, **M},
            "credited_to_balance": {"amount": 2965, **M},
            "refunded": {"amount": 0, **M},
            "reason": "product_unsatisfactory",
            "memo": "Half of March: the export was down for two weeks.",
            "livemode": False,
            "created_at": "2026-03-20T10:00:00Z",
        }
    )

    object: Literal["credit_note"] = "credit_note"
    id: str
    number: str
    invoice: str
    customer: str
    currency: str
    lines: list[CreditNoteLineOut]
    subtotal: MoneyOut
    tax_total: MoneyOut
    total: MoneyOut
    applied_to_invoice: MoneyOut
    credited_to_balance: MoneyOut
    refunded: MoneyOut
    reason: str
    memo: str | None
    livemode: bool
    created_at: datetime
