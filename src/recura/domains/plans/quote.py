"""What a plan costs for a quantity and usage: the same core pricing that invoices use."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from recura.core.pricing import PriceBreakdown, PriceSpec, PricingError, price
from recura.domains.common.errors import FieldError, InvalidError, invalid
from recura.domains.common.fields import money_out
from recura.domains.common.prices import stored_spec, within_limit
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import wording
from recura.domains.plans import repository, service
from recura.domains.plans.schemas import QuoteLine, QuoteOut, QuoteRequest

# A quote is for the merchant's integration, which reads English, not for a customer.
QUOTE_LANGUAGE = "en"


def quote(session: Session, tenant: Tenant, plan_id: str, request: QuoteRequest) -> QuoteOut:
    plan = service.get(session, tenant, plan_id)
    if request.version is None:
        version = repository.current_versions(session, tenant, [plan.id])[plan.id]
    else:
        found = repository.version(session, tenant, plan.id, request.version)
        if found is None:
            raise invalid("/version", f"plan '{plan.id}' has no version {request.version}")
        version = found
    currency = request.currency
    spec = stored_spec(
        version.pricing_model, version.prices, currency, version.min_quantity, version.max_quantity
    )
    if spec is None:
        offered = ", ".join(p["currency"] for p in version.prices)
        raise invalid(
            "/currency", f"version {version.version} is priced in {offered}, not {currency}"
        )
    lines: list[QuoteLine] = []
    if request.include_setup_fee:
        for fee in version.setup_fees:
            if fee["currency"] == currency and fee["amount"]:
                description = wording.setup_fee(plan.name, QUOTE_LANGUAGE)
                lines.append(_line("setup_fee", description, fee["amount"], currency))
    base = _price(spec, request.quantity, "/quantity")
    lines += _lines(base, plan.name, currency, None, None)
    charges = repository.charges(session, tenant, [version.id]).get(version.id, [])
    by_code = {metric.code: (charge, metric) for charge, metric in charges}
    errors = [
        FieldError(f"/usage/{code}", f"'{code}' is not a metered charge of this plan version")
        for code in request.usage
        if code not in by_code
    ]
    if errors:
        raise InvalidError(errors)
    for charge, metric in charges:
        charge_spec = stored_spec(charge.pricing_model, charge.prices, currency)
        if charge_spec is None:
            raise invalid("/currency", f"the {metric.code} charge has no {currency} price")
        usage = request.usage.get(metric.code, Decimal(0))
        priced = _price(charge_spec, usage, f"/usage/{metric.code}")
        lines += _lines(priced, metric.name, currency, charge.id, metric.id)
    total = sum(line.amount.amount for line in lines)
    return QuoteOut(
        plan=plan.id,
        version=version.version,
        currency=currency,
        quantity=request.quantity,
        lines=lines,
        total=money_out(total, currency),
    )


def _price(spec: PriceSpec, quantity: Decimal, pointer: str) -> PriceBreakdown:
    try:
        breakdown = price(spec, quantity)
    except PricingError as exc:
        raise invalid(pointer, exc.message) from None
    within_limit(breakdown.total.minor, pointer)
    return breakdown


def _lines(
    breakdown: PriceBreakdown, name: str, currency: str, charge: str | None, metric: str | None
) -> list[QuoteLine]:
    result = []
    for line in breakdown.lines:
        words = wording.lines(QUOTE_LANGUAGE)
        description = name if line.tier is None else words.tier.format(item=name, tier=line.tier)
        if line.kind == "tier_flat":
            description = words.flat_fee.format(item=description)
        result.append(
            QuoteLine(
                kind=line.kind,
                description=description,
                charge=charge,
                billable_metric=metric,
                tier=line.tier,
                quantity=line.quantity,
                unit_amount=line.unit_amount,
                amount=money_out(line.amount, currency),
            )
        )
    return result


def _line(kind: str, description: str, amount: int, currency: str) -> QuoteLine:
    return QuoteLine(
        kind=kind,
        description=description,
        charge=None,
        billable_metric=None,
        tier=None,
        quantity=Decimal(1),
        unit_amount=Decimal(amount),
        amount=money_out(amount, currency),
    )
