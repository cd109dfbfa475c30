"""Where a subscriber pays an invoice by bank transfer: the one place that reads the
merchant's bank details, so that what the emails and pages print has one source."""

from __future__ import annotations

from dataclasses import dataclass

from recura.db.models import Account


@dataclass(frozen=True, slots=True)
class Payee:
    beneficiary: str
    iban: str | None
    bic: str | None


def payee_for(account: Account, currency: str) -> Payee:
    """The account the merchant is paid `currency` into (today its one IBAN, whatever the
    currency)."""
    return Payee(beneficiary=account.legal_name, iban=account.iban, bic=account.bic)
