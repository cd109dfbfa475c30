"""The VAT of a customer's invoice lines: `core.tax`'s decision on what the account and
customer rows say.

Every line Recura prices (renewals, prorations, setup fees, previews, the upcoming invoice,
the checkout's summary) takes its rate from `decision` through
`subscriptions.invoicing.InvoiceBasis`; the pricing page's rate too. Credit notes reuse the
rate of the line they credit.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Protocol

from recura.core.tax import (
    Buyer,
    BuyerKind,
    Category,
    Decision,
    Nature,
    RateKind,
    Seller,
    Supply,
    TaxError,
    VatIdStatus,
    decide,
)
from recura.db.models import Account

__all__ = ["ANYONE", "Billed", "buyer_of", "decision", "seller_of"]


class Billed(Protocol):
    """What the decision reads of a customer: the model or the renewal batch's record."""

    @property
    def tax_rate(self) -> Decimal | None: ...
    @property
    def country(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def vat_id(self) -> str | None: ...
    @property
    def vat_id_validated_at(self) -> object | None: ...
    @property
    def vat_check(self) -> str | None: ...


class _Anyone:
    """A visitor not known yet (the pricing page): a consumer in the seller's country."""

    tax_rate: Decimal | None = None
    country: str | None = None
    kind = "individual"
    vat_id: str | None = None
    vat_id_validated_at: object | None = None
    vat_check: str | None = None


ANYONE: Billed = _Anyone()


def seller_of(account: Account) -> Seller:
    return Seller(
        account.country,
        vat_registered=account.vat_registered,
        oss_registered=account.oss_registered,
        over_threshold=account.eu_b2c_over_threshold,
    )


def buyer_of(customer: Billed) -> Buyer:
    """The buyer as the decision sees it: a VAT number counts once VIES confirmed it (and
    until a check finds it invalid or cannot be made: `customers.vat_checks`); one VIES
    found invalid is said so on the invoice, one not confirmed yet is "not checked"."""
    if not customer.vat_id:
        status = VatIdStatus.NONE
    elif customer.vat_id_validated_at is not None:
        status = VatIdStatus.VALID
    elif customer.vat_check == "invalid":
        status = VatIdStatus.INVALID
    else:
        status = VatIdStatus.UNCHECKED
    kind = BuyerKind.COMPANY if customer.kind == "company" else BuyerKind.INDIVIDUAL
    return Buyer(customer.country, kind, status)


def _flat(rate: Decimal, country: str) -> Decision:
    if rate > 0:
        return Decision(Category.STANDARD, rate, country)
    return Decision(Category.NOT_SUBJECT, Decimal(0), None, "VATEX-EU-O", "tax.not_charged")


def decision(
    account: Account,
    customer: Billed,
    on: date,
    rate_kind: RateKind = RateKind.STANDARD,
    nature: Nature = Nature.ELECTRONIC,
) -> Decision:
    """The VAT of a line of `rate_kind` and `nature` `customer` is supplied on `on` (the
    period's first day, in the subscription's zone).

    A customer's own `tax_rate` is the operator's choice for that customer, for a
    VAT-registered seller, where the law leaves a rate to choose: it replaces the standard
    rate the decision charges (0 reads as exempt, for every line). It does not tax what
    the law does not (reverse charge, exports, not subject), nor raise a line the law
    taxes at a reduced rate. A seller outside the EU, or a supply before the EU rate
    table, keeps the configured rates (the customer's, else the account's).
    """
    seller = seller_of(account)
    own = customer.tax_rate
    try:
        decided = decide(seller, buyer_of(customer), Supply(on, rate_kind, nature))
    except TaxError:
        return _flat(Decimal(own if own is not None else account.tax_rate), account.country)
    if own is None or not seller.vat_registered or decided.category is not Category.STANDARD:
        return decided
    if own == 0:
        return Decision(Category.EXEMPT, Decimal(0), None, None, "tax.exempt")
    if rate_kind is not RateKind.STANDARD:
        return decided
    return replace(decided, rate=Decimal(own))
